from django.db import migrations, models


def default_rules_write(apps, schema_editor):
    # The current definitions (comptoir.rules.defaults), written with the historical model: a desk
    # that migrates gets the default rules as they are the day it migrates, as a new desk would.
    from comptoir.rules.defaults import default_rules_restore

    default_rules_restore(apps.get_model("rules", "Rule"))


def default_rules_unwrite(apps, schema_editor):
    apps.get_model("rules", "Rule").objects.exclude(built_in="").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0003_telling_warnings"),
    ]

    operations = [
        migrations.AddField(
            model_name="rule",
            name="built_in",
            field=models.CharField(blank=True, default="", editable=False, max_length=40, verbose_name="default rule"),
        ),
        migrations.AddConstraint(
            model_name="rule",
            constraint=models.UniqueConstraint(
                condition=models.Q(("built_in", ""), _negated=True), fields=("built_in",), name="rule_built_in_once"
            ),
        ),
        migrations.RunPython(default_rules_write, default_rules_unwrite),
    ]
