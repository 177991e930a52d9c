"""One index of words per ticket on PostgreSQL: its subject and every message (search_index.POSTGRES_TICKET_WORDS)."""

from django.db import migrations

from comptoir.tickets import search_index


def create_words(apps, schema_editor):
    search_index.ticket_words_create(schema_editor)


def drop_words(apps, schema_editor):
    search_index.ticket_words_drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_sla_events_and_due")]

    operations = [migrations.RunPython(create_words, drop_words)]
