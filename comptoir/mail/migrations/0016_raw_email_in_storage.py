# rolling-deploy: reviewed. Additive for the database: the "raw" column stays (now nullable, renamed in
# Django's state only: legacy_raw) and the new raw_file column has a database default, so the previous
# release keeps inserting rows. Its nodes cannot read the messages the new release stores in files:
# docs/deploy.md says to stop the previous release's workers before this upgrade.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0015_webhook_disabled_email"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="inboundemail", old_name="raw", new_name="legacy_raw"),
                migrations.AlterField(
                    model_name="inboundemail",
                    name="legacy_raw",
                    field=models.BinaryField(blank=True, db_column="raw", editable=False, null=True),
                ),
            ],
            database_operations=[
                migrations.AlterField(
                    model_name="inboundemail",
                    name="raw",
                    field=models.BinaryField(blank=True, editable=False, null=True),
                ),
            ],
        ),
        migrations.AddField(
            model_name="inboundemail",
            name="raw_file",
            field=models.FileField(blank=True, db_default="", editable=False, max_length=200, upload_to=""),
        ),
    ]
