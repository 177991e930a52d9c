"""How fast the Help Center search answers: latency of search_articles over generated articles on PostgreSQL.

    .venv/bin/python bench/kb_search.py [--articles 10000] [--queries 200] [--database-url URL] [--keep]

The script creates its own database (by default ``comptoir_bench_kb`` on
127.0.0.1:5432, dropped and created again at the start, dropped at the end
unless ``--keep``), migrates it and writes ``--articles`` articles, each in
French and in English, from a seeded vocabulary of help-desk words (accents,
plurals, headings, lists), so every run searches the same text.

Then a fixed, seeded list of ``--queries`` queries (one word, two words, words
typed without their accents, plurals, typos that only the trigram fallback
finds, words no article holds) goes, query by query, through two searches:

1. the baseline: what a help desk without full-text search does, every word
   looked for with ``icontains`` in the title or the body text of the published
   translations, the first 20 rows;
2. ``comptoir.helpcenter.search.search_articles``, the code the search page runs.

Each query runs through both in turn, after a warm-up pass, so a change of
load on the machine hits both alike. Speed is judged by the ratio of the two,
printed beside the figures, never by a timed test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchdb import (
    RefusedDatabase,
    bench_database_name,
    configure_environment,
    drop_database,
    percentile,
    recreate_database,
    server_version,
    setup_django,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_kb"
SEED = 2611
LANGUAGES = ("fr", "en")
# One article in this many is a draft: the published filter has something to do.
DRAFT_EVERY = 20
# Rows written per INSERT.
BATCH = 1000
RESULTS = 20


# --- Generated articles ---------------------------------------------------------

# (singular, plural) for nouns; every language has its own words, accents and all.
NOUNS: dict[str, list[tuple[str, str]]] = {
    "fr": [
        ("ticket", "tickets"), ("facture", "factures"), ("mot de passe", "mots de passe"), ("compte", "comptes"),
        ("pièce jointe", "pièces jointes"), ("adresse e-mail", "adresses e-mail"), ("notification", "notifications"),
        ("tableau de bord", "tableaux de bord"), ("équipe", "équipes"), ("agent", "agents"), ("réponse", "réponses"),
        ("délai", "délais"), ("export", "exports"), ("rapport", "rapports"), ("abonnement", "abonnements"),
        ("paiement", "paiements"), ("carte bancaire", "cartes bancaires"), ("remboursement", "remboursements"),
        ("étiquette", "étiquettes"), ("priorité", "priorités"), ("statut", "statuts"),
        ("modèle de réponse", "modèles de réponse"), ("formulaire", "formulaires"), ("langue", "langues"),
        ("fuseau horaire", "fuseaux horaires"), ("navigateur", "navigateurs"), ("capture d'écran", "captures d'écran"),
        ("demandeur", "demandeurs"), ("client", "clients"), ("message", "messages"), ("brouillon", "brouillons"),
        ("signature", "signatures"), ("règle d'automatisation", "règles d'automatisation"), ("journal", "journaux"),
        ("sauvegarde", "sauvegardes"), ("intégration", "intégrations"), ("clé d'API", "clés d'API"),
        ("utilisateur", "utilisateurs"), ("rôle", "rôles"), ("permission", "permissions"), ("devis", "devis"),
        ("reçu", "reçus"), ("paramètre", "paramètres"), ("connexion", "connexions"), ("erreur", "erreurs"),
        ("fichier", "fichiers"), ("document", "documents"), ("commentaire", "commentaires"),
        ("historique", "historiques"), ("sécurité", "sécurités"), ("vérification", "vérifications"),
        ("calendrier", "calendriers"),
    ],
    "en": [
        ("ticket", "tickets"), ("invoice", "invoices"), ("password", "passwords"), ("account", "accounts"),
        ("attachment", "attachments"), ("email address", "email addresses"), ("notification", "notifications"),
        ("dashboard", "dashboards"), ("team", "teams"), ("agent", "agents"), ("reply", "replies"),
        ("deadline", "deadlines"), ("export", "exports"), ("report", "reports"), ("subscription", "subscriptions"),
        ("payment", "payments"), ("credit card", "credit cards"), ("refund", "refunds"), ("tag", "tags"),
        ("priority", "priorities"), ("status", "statuses"), ("canned response", "canned responses"),
        ("form", "forms"), ("language", "languages"), ("time zone", "time zones"), ("browser", "browsers"),
        ("screenshot", "screenshots"), ("requester", "requesters"), ("customer", "customers"),
        ("message", "messages"), ("draft", "drafts"), ("signature", "signatures"),
        ("automation rule", "automation rules"), ("log", "logs"), ("backup", "backups"),
        ("integration", "integrations"), ("API key", "API keys"), ("user", "users"), ("role", "roles"),
        ("permission", "permissions"), ("quote", "quotes"), ("receipt", "receipts"), ("setting", "settings"),
        ("login", "logins"), ("error", "errors"), ("file", "files"), ("document", "documents"),
        ("comment", "comments"), ("history", "histories"), ("security", "securities"),
        ("verification", "verifications"), ("calendar", "calendars"), ("café order", "café orders"),
    ],
}  # fmt: skip
# (infinitive, third person / past participle)
VERBS: dict[str, list[tuple[str, str]]] = {
    "fr": [
        ("créer", "crée"), ("modifier", "modifié"), ("supprimer", "supprimé"), ("exporter", "exporté"),
        ("importer", "importé"), ("réinitialiser", "réinitialisé"), ("configurer", "configuré"),
        ("activer", "activé"), ("désactiver", "désactivé"), ("fusionner", "fusionné"), ("assigner", "assigné"),
        ("clôturer", "clôturé"), ("rouvrir", "rouvert"), ("télécharger", "téléchargé"), ("partager", "partagé"),
        ("vérifier", "vérifié"), ("archiver", "archivé"), ("envoyer", "envoyé"), ("renommer", "renommé"),
        ("déplacer", "déplacé"), ("restaurer", "restauré"), ("programmer", "programmé"), ("payer", "payé"),
        ("annuler", "annulé"), ("valider", "validé"), ("filtrer", "filtré"), ("trier", "trié"),
    ],
    "en": [
        ("create", "created"), ("edit", "edited"), ("delete", "deleted"), ("export", "exported"),
        ("import", "imported"), ("reset", "reset"), ("configure", "configured"), ("enable", "enabled"),
        ("disable", "disabled"), ("merge", "merged"), ("assign", "assigned"), ("close", "closed"),
        ("reopen", "reopened"), ("download", "downloaded"), ("share", "shared"), ("verify", "verified"),
        ("archive", "archived"), ("send", "sent"), ("rename", "renamed"), ("move", "moved"),
        ("restore", "restored"), ("schedule", "scheduled"), ("pay", "paid"), ("cancel", "cancelled"),
        ("approve", "approved"), ("filter", "filtered"), ("sort", "sorted"),
    ],
}  # fmt: skip
ADJECTIVES: dict[str, list[str]] = {
    "fr": [
        "nouveau", "ancien", "automatique", "manuel", "sécurisé", "partagé", "privé", "public", "urgent", "récent",
        "mensuel", "annuel", "complet", "vide", "bloqué", "expiré", "principal", "personnalisé", "intégré", "rapide",
    ],
    "en": [
        "new", "old", "automatic", "manual", "secure", "shared", "private", "public", "urgent", "recent",
        "monthly", "yearly", "complete", "empty", "locked", "expired", "main", "custom", "built-in", "quick",
    ],
}  # fmt: skip
PLACES: dict[str, list[str]] = {
    "fr": [
        "dans le menu Paramètres", "depuis la page d'accueil", "en haut à droite de l'écran", "dans l'onglet Sécurité",
        "sur votre téléphone", "dans l'espace client", "depuis l'application mobile", "dans la barre latérale",
        "sous Réglages avancés", "dans la fenêtre de dialogue",
    ],
    "en": [
        "in the Settings menu", "from the home page", "at the top right of the screen", "in the Security tab",
        "on your phone", "in the customer area", "from the mobile app", "in the sidebar",
        "under Advanced settings", "in the dialog window",
    ],
}  # fmt: skip
CONNECTORS: dict[str, list[str]] = {
    "fr": ["Ensuite,", "Par ailleurs,", "Si besoin,", "En général,", "Attention :", "Astuce :", "Enfin,", "Au besoin,"],
    "en": ["Then,", "Also,", "If needed,", "Usually,", "Careful:", "Tip:", "Finally,", "When in doubt,"],
}
HEADINGS: dict[str, list[str]] = {
    "fr": ["Avant de commencer", "Étapes", "Questions fréquentes", "En cas de problème", "Pour aller plus loin"],
    "en": ["Before you start", "Steps", "Frequently asked questions", "Troubleshooting", "Going further"],
}


def zipf_weights(count: int) -> list[float]:
    """A few words everywhere, most words in some articles: as in real help centres."""
    return [1.0 / (rank + 1) ** 0.9 for rank in range(count)]


@dataclass
class Writer:
    """Seeded sentences, titles, summaries and bodies in one language."""

    language: str
    rng: random.Random
    noun_weights: list[float] = field(init=False)
    verb_weights: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.noun_weights = zipf_weights(len(NOUNS[self.language]))
        self.verb_weights = zipf_weights(len(VERBS[self.language]))

    def noun(self, plural: bool | None = None) -> str:
        singular, many = self.rng.choices(NOUNS[self.language], self.noun_weights)[0]
        if plural is None:
            plural = self.rng.random() < 0.4
        return many if plural else singular

    def verb(self) -> tuple[str, str]:
        return self.rng.choices(VERBS[self.language], self.verb_weights)[0]

    def adjective(self) -> str:
        return self.rng.choice(ADJECTIVES[self.language])

    def title(self) -> str:
        infinitive, participle = self.verb()
        noun, other = self.noun(), self.noun(plural=True)
        if self.language == "fr":
            forms = (
                f"Comment {infinitive} un {noun}",
                f"{infinitive.capitalize()} vos {other}",
                f"Pourquoi mon {noun} n'est pas {participle} ?",
                f"{noun.capitalize()} {self.adjective()} : questions fréquentes",
                f"{infinitive.capitalize()} les {other} d'un {noun}",
            )
        else:
            forms = (
                f"How to {infinitive} a {noun}",
                f"{infinitive.capitalize()} your {other}",
                f"Why isn't my {noun} {participle}?",
                f"{self.adjective().capitalize()} {noun}: frequently asked questions",
                f"{infinitive.capitalize()} the {other} of a {noun}",
            )
        return self.rng.choice(forms)

    def sentence(self) -> str:
        infinitive, participle = self.verb()
        noun, other, place = self.noun(), self.noun(), self.rng.choice(PLACES[self.language])
        adjective = self.adjective()
        if self.language == "fr":
            forms = (
                f"Pour {infinitive} un {noun} {adjective}, ouvrez la page {other} {place}.",
                f"Le {noun} est {participle} automatiquement lorsque le {other} change de statut.",
                f"Vous pouvez {infinitive} plusieurs {self.noun(plural=True)} à la fois {place}.",
                f"Seuls les agents autorisés peuvent {infinitive} le {noun} d'un {other}.",
                f"Si le {noun} n'apparaît pas, vérifiez le {other} {adjective} puis réessayez.",
                f"Un e-mail de confirmation est envoyé dès que le {noun} a été {participle}.",
            )
        else:
            forms = (
                f"To {infinitive} a {adjective} {noun}, open the {other} page {place}.",
                f"The {noun} is {participle} automatically when the {other} changes status.",
                f"You can {infinitive} several {self.noun(plural=True)} at once {place}.",
                f"Only authorised agents can {infinitive} the {noun} of a {other}.",
                f"If the {noun} does not show up, check the {adjective} {other} and try again.",
                f"A confirmation email is sent as soon as the {noun} has been {participle}.",
            )
        sentence = self.rng.choice(forms)
        if self.rng.random() < 0.2:
            sentence = f"{self.rng.choice(CONNECTORS[self.language])} {sentence[0].lower()}{sentence[1:]}"
        return sentence

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def summary(self) -> str:
        return self.sentence()

    def body(self) -> str:
        """A few paragraphs of Markdown, some with headings, lists and emphasis."""
        blocks: list[str] = [self.paragraph()]
        for heading in self.rng.sample(HEADINGS[self.language], self.rng.randint(1, 3)):
            blocks.append(f"## {heading}")
            blocks.append(self.paragraph())
            if self.rng.random() < 0.5:
                blocks.append("\n".join(f"{n}. {self.sentence()}" for n in range(1, self.rng.randint(3, 5))))
            if self.rng.random() < 0.3:
                blocks.append(f"**{self.noun().capitalize()}** : {self.sentence()}")
        return "\n\n".join(blocks) + "\n"


def index_in_bulk(language: str) -> None:
    """Fill search_vector for every translation in ``language`` with one UPDATE.

    This mirrors ``search_index.index_translation`` exactly (same configuration,
    same weights, same ``hide_markup`` of the body): calling it row by row costs
    a round trip and a transaction per translation, which makes generating
    20,000 translations take minutes. ``check_index_matches_service`` proves the
    two agree on the run's own rows.
    """
    from django.contrib.postgres.search import SearchVector

    from comptoir.helpcenter.models import ArticleTranslation
    from comptoir.helpcenter.search_index import hide_markup, postgres_config

    config = postgres_config(language)
    ArticleTranslation.objects.filter(language=language).update(
        search_vector=(
            SearchVector("title", weight="A", config=config)
            + SearchVector("summary", weight="B", config=config)
            + SearchVector(hide_markup("body_text"), weight="C", config=config)
        )
    )


def generate_articles(count: int) -> None:
    """``count`` articles in French and English: rendered as article_translation_save renders them, written in bulk."""
    from django.db import transaction
    from django.utils.text import slugify

    from comptoir.helpcenter.models import Article, ArticleTranslation
    from comptoir.helpcenter.rendering import render_markdown
    from comptoir.helpcenter.search_index import plain_text
    from comptoir.helpcenter.services import section_get_or_create

    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not a secret
    writers = {language: Writer(language, rng) for language in LANGUAGES}
    sections = [section_get_or_create(key=f"bench-{number}", position=number, icon="") for number in range(8)]
    with transaction.atomic():
        for start in range(0, count, BATCH):
            articles = Article.objects.bulk_create(
                Article(
                    key=f"bench-{number}",
                    section=sections[number % len(sections)],
                    position=number,
                    is_published=number % DRAFT_EVERY != DRAFT_EVERY - 1,
                )
                for number in range(start, min(start + BATCH, count))
            )
            translations: list[ArticleTranslation] = []
            for article in articles:
                for language in LANGUAGES:
                    writer = writers[language]
                    title, body = writer.title(), writer.body()
                    rendered = render_markdown(body)
                    translations.append(
                        ArticleTranslation(
                            article=article,
                            language=language,
                            title=title,
                            slug=slugify(title)[:200] or "article",
                            summary=writer.summary(),
                            body_markdown=body,
                            body_html=rendered.html,
                            toc=rendered.toc,
                            body_text=plain_text(rendered.html),
                        )
                    )
            ArticleTranslation.objects.bulk_create(translations)
            if sys.stderr.isatty():
                print(f"  {start + len(articles)}/{count}", end="\r", file=sys.stderr, flush=True)
        for language in LANGUAGES:
            index_in_bulk(language)


def check_index_matches_service(samples: int = 20) -> None:
    """Write a few translations again through article_translation_save: the vector must not change."""
    from comptoir.helpcenter.models import ArticleTranslation
    from comptoir.helpcenter.services import article_translation_save

    rng = random.Random(SEED + 1)  # noqa: S311
    pks = sorted(ArticleTranslation.objects.values_list("pk", flat=True))
    for pk in rng.sample(pks, min(samples, len(pks))):
        row = ArticleTranslation.objects.select_related("article").get(pk=pk)
        before = row.search_vector
        article_translation_save(
            article=row.article,
            language=row.language,
            title=row.title,
            slug=row.slug,
            summary=row.summary,
            body_markdown=row.body_markdown,
        )
        after = ArticleTranslation.objects.values_list("search_vector", flat=True).get(pk=pk)
        if before != after:
            raise SystemExit(f"bench/kb_search.py: bulk index differs from article_translation_save on {pk}")


# --- Queries --------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    kind: str
    language: str
    text: str


# Typed without accents: unaccent must find the accented words.
ACCENTLESS = {
    "fr": ["creer", "reinitialiser", "securite", "telecharger", "equipe", "priorite", "cloturer", "etiquette",
           "delai", "piece jointe", "recu", "parametre", "desactiver", "modele de reponse", "cafe"],
    "en": ["cafe order", "cafe"],
}  # fmt: skip
# One swapped or missing letter: full-text search finds nothing, the trigram fallback should.
TYPOS = {
    "fr": ["factrue", "tikcet", "notifcation", "abonement", "remboursemnt", "calendirer", "sauvgarde", "signautre"],
    "en": ["invocie", "pasword", "tikcet", "notifcation", "subscripton", "dashbaord", "attachmnet", "calender"],
}
# Words no generated article holds.
NOTHING = {
    "fr": ["photosynthèse", "zzqqxx", "kubernetes", "météorite", "clavecin", "ornithorynque"],
    "en": ["photosynthesis", "zzqqxx", "kubernetes", "meteorite", "harpsichord", "platypus"],
}
KINDS = ("one word", "two words", "plural", "no accents", "typo", "nothing")


def make_queries(count: int) -> list[Query]:
    rng = random.Random(SEED + 2)  # noqa: S311
    queries: list[Query] = []
    for number in range(count):
        kind = KINDS[number % len(KINDS)]
        language = LANGUAGES[(number // len(KINDS)) % len(LANGUAGES)]
        nouns = NOUNS[language]
        if kind == "one word":
            text = rng.choice([singular for singular, _ in nouns] + [verb for verb, _ in VERBS[language]])
        elif kind == "two words":
            text = f"{rng.choice(VERBS[language])[0]} {rng.choice(nouns)[0]}"
        elif kind == "plural":
            text = rng.choice(nouns)[1]
        elif kind == "no accents":
            text = rng.choice(ACCENTLESS[language])
        elif kind == "typo":
            text = rng.choice(TYPOS[language])
        else:
            text = rng.choice(NOTHING[language])
        queries.append(Query(kind, language, text))
    return queries


def baseline_search(query: str, language: str) -> list[object]:
    """A help desk without full-text search: every word somewhere in the title or the body text."""
    from django.db.models import Q

    from comptoir.helpcenter.models import ArticleTranslation
    from comptoir.helpcenter.search import search_terms

    found = ArticleTranslation.objects.filter(language=language, article__is_published=True)
    for word in search_terms(query):
        found = found.filter(Q(title__icontains=word) | Q(body_text__icontains=word))
    return list(found[:RESULTS])


def fts_search(query: str, language: str) -> list[object]:
    from comptoir.helpcenter.search import search_articles

    return list(search_articles(query, language, limit=RESULTS))


# --- Measuring ------------------------------------------------------------------


@dataclass
class Step:
    label: str
    run: Callable[[str, str], list[object]]
    times: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    found: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def time(self, query: Query) -> None:
        before = time.perf_counter()
        results = self.run(query.text, query.language)
        self.times.append(time.perf_counter() - before)
        self.kinds.append(query.kind)
        self.found.append(len(results))
        self.texts.append(f"{query.language}:{query.text}")

    def of_kind(self, kind: str | None) -> tuple[list[float], list[int]]:
        picked = [index for index, each in enumerate(self.kinds) if kind is None or each == kind]
        return [self.times[index] for index in picked], [self.found[index] for index in picked]


def print_table(steps: Sequence[Step], kind: str | None) -> None:
    baseline_times, _ = steps[0].of_kind(kind)
    for step in steps:
        times, found = step.of_kind(kind)
        median, p95 = statistics.median(times), percentile(times, 0.95)
        ratio = statistics.median(baseline_times) / median
        with_results = sum(1 for count in found if count)
        print(
            f"  {kind or 'all':<11}{step.label:<22}{len(times):>8}{1000 * median:>11.2f}{1000 * p95:>9.2f}"
            f"{1000 * max(times):>9.2f}{with_results:>10}{sum(found):>9}{ratio:>13.2f}x"
        )


def measure(queries: Sequence[Query], steps: Sequence[Step]) -> None:
    # Warm-up: caches, connection, Django's query compilation; nothing recorded.
    for query in queries:
        for step in steps:
            step.run(query.text, query.language)
    for query in queries:
        for step in steps:
            step.time(query)


# --- Running --------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=10_000, help="articles, each in fr and en (default 10000)")
    parser.add_argument("--queries", type=int, default=200, help="queries timed through each search (default 200)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database to drop, create and use; its name must contain 'bench' "
        f"(default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database at the end (it is still dropped at the start)"
    )
    arguments = parser.parse_args(argv)
    if arguments.articles < 1 or arguments.queries < 1:
        parser.error("--articles and --queries must be at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.perf_counter()
    try:
        name = bench_database_name(arguments.database_url)
    except RefusedDatabase as error:
        print(f"bench/kb_search.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    var_dir = Path(tempfile.mkdtemp(prefix="comptoir-bench-kb-"))
    created = False
    try:
        configure_environment(var_dir, arguments.database_url)
        recreate_database(arguments.database_url, name)
        created = True
        setup_django()

        import django
        from django.db import connection

        from comptoir.helpcenter.models import Article, ArticleTranslation

        print(f"Comptoir Help Center search benchmark: Python {sys.version.split()[0]}, Django {django.get_version()}")
        print(f"server: {server_version()}")
        print(f"database: {name} on {connection.settings_dict.get('HOST') or 'local socket'}; {os.cpu_count()} CPUs")

        before = time.perf_counter()
        generate_articles(arguments.articles)
        generated = time.perf_counter() - before
        before = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE helpcenter_articletranslation")
            cursor.execute("VACUUM ANALYZE helpcenter_article")
        analysed = time.perf_counter() - before
        check_index_matches_service()
        published = Article.objects.filter(is_published=True).count()
        translations = ArticleTranslation.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cursor.fetchone()
        words = sum(len(text.split()) for text in ArticleTranslation.objects.values_list("body_text", flat=True))
        print(
            f"articles: {Article.objects.count()} ({published} published), {translations} translations (fr, en), "
            f"{words / translations:.0f} words per body on average, database {size[0] if size else '?'}"
        )
        print(
            f"generated in {generated:.1f} s (rendered, bulk-inserted, one UPDATE per language), "
            f"VACUUM ANALYZE {analysed:.1f} s"
        )

        queries = make_queries(arguments.queries)
        steps = [Step("icontains (baseline)", baseline_search), Step("search_articles", fts_search)]
        before = time.perf_counter()
        measure(queries, steps)
        print(
            f"\n{len(queries)} queries ({len(queries) // len(KINDS)} or so of each kind, fr and en alternately), "
            f"each through both searches in turn after a warm-up pass; {time.perf_counter() - before:.1f} s"
        )
        print(
            f"  {'kind':<11}{'search':<22}{'queries':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
            f"{'answered':>10}{'results':>9}{'median speed-up':>16}"
        )
        print_table(steps, None)
        for kind in KINDS:
            print_table(steps, kind)
        print(
            "  answered: queries with at least one result; results: rows returned in all (at most "
            f"{RESULTS} a query); speed-up: baseline median / this median"
        )
        baseline, fts = steps
        # Words no article holds that the trigram fallback still matched to a title.
        stray = sorted(
            {
                text
                for text, kind, count in zip(fts.texts, fts.kinds, fts.found, strict=True)
                if kind == "nothing" and count
            }
        )
        if stray:
            print(f"  'nothing' queries search_articles answered (trigram fallback on titles): {', '.join(stray)}")
        print(
            f"\nsearch_articles against the baseline: median {1000 * statistics.median(fts.times):.2f} ms against "
            f"{1000 * statistics.median(baseline.times):.2f} ms "
            f"(ratio search/baseline {statistics.median(fts.times) / statistics.median(baseline.times):.2f}), "
            f"p95 {1000 * percentile(fts.times, 0.95):.2f} ms against {1000 * percentile(baseline.times, 0.95):.2f} ms "
            f"(ratio {percentile(fts.times, 0.95) / percentile(baseline.times, 0.95):.2f}); "
            f"answered {sum(1 for n in fts.found if n)} of {len(queries)} queries against "
            f"{sum(1 for n in baseline.found if n)}"
        )
        print(f"\ntotal run time {time.perf_counter() - started:.1f} s")
        return 0
    except RefusedDatabase as error:
        print(f"bench/kb_search.py: {error}", file=sys.stderr)
        return 2
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created and not arguments.keep:
            drop_database(arguments.database_url, name)
        elif created:
            print(f"kept database {name}")
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
