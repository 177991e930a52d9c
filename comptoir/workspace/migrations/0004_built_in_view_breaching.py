"""The built-in shared view "Breaching soon" (comptoir.workspace.selectors.VIEWS: key "breaching")."""

from django.db import migrations
from django.db.models import F, Max


def breaching_create(apps, schema_editor):
    SavedView = apps.get_model("workspace", "SavedView")
    if SavedView.objects.filter(key="breaching").exists():
        return
    # After the other built-in views, before the views agents and admins saved.
    last = SavedView.objects.exclude(key="").aggregate(last=Max("position"))["last"]
    position = 0 if last is None else last + 1
    SavedView.objects.filter(key="", position__gte=position).update(position=F("position") + 1)
    SavedView.objects.create(
        key="breaching", name="", owner=None, visibility="everyone", params="view=breaching", position=position
    )


def breaching_drop(apps, schema_editor):
    apps.get_model("workspace", "SavedView").objects.filter(key="breaching").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0003_built_in_views_shared"),
        ("tickets", "0017_sla_events_and_due"),
    ]

    operations = [migrations.RunPython(breaching_create, breaching_drop)]
