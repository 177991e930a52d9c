"""The preview: the typed text rendered and sanitised like the live article, nothing saved."""

from __future__ import annotations

from comptoir.helpcenter.models import ArticleTranslation
from tests.editor.conftest import form_data, url


def test_it_shows_the_rendered_text_without_saving(client, editor, live_article):
    client.force_login(editor)
    response = client.post(
        url("editor_article_preview", live_article.pk, "fr"), form_data(body="## Étapes\n\nUn **texte** prévu.")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Preview: not saved, not published" in page
    assert '<h2 id="etapes">Étapes</h2>' in page
    assert "<strong>texte</strong>" in page
    assert live_article.revisions.count() == 0
    assert "prévu" not in ArticleTranslation.objects.get(article=live_article, language="fr").body_markdown
    # The typed text stays in the form, to go on writing.
    assert "Un **texte** prévu." in page


def test_it_never_lets_a_script_through(client, editor, live_article):
    client.force_login(editor)
    body = 'Avant <script>alert("x")</script> <img src=x onerror="alert(1)"> [lien](javascript:alert(1))'
    response = client.post(url("editor_article_preview", live_article.pk, "fr"), form_data(body=body))
    # The preview, up to the end of the page's content (the page's own scripts come after it).
    preview = response.content.decode().split('id="editor-preview"', 1)[1].split("</main>", 1)[0]
    assert "<script" not in preview
    assert "onerror" not in preview
    assert "javascript:" not in preview
    assert "Avant" in preview
