"""Ticket text search: an index of every subject and message kept by the database's triggers (search_index)."""

from django.db import migrations

from comptoir.tickets import search_index


def create_index(apps, schema_editor):
    search_index.create_schema(schema_editor)


def drop_index(apps, schema_editor):
    search_index.drop_schema(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_workspace_indexes"),
        # PostgreSQL's comptoir_fr and comptoir_en text search configurations.
        ("helpcenter", "0003_article_search"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
