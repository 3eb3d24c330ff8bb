from django.db import migrations


def unlogged(apps, schema_editor):
    # Rate-limit state need not survive a crash; without WAL its commits do not wait for a flush.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE integrations_ratelimitbucket SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE integrations_ratelimitbucket SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]
    operations = [migrations.RunPython(unlogged, logged)]
