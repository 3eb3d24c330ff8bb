"""Limiter keys are digests of a provider's scope now (a key never holds a secret); buckets
written before could carry a secret in plain text as their primary key. They hold only sliding-
window state, which refills within a window, so they are forgotten rather than rewritten."""

from django.db import migrations


def forget_buckets(apps, schema_editor):
    apps.get_model("integrations", "RateLimitBucket").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0005_webhookevent_retry")]

    operations = [migrations.RunPython(forget_buckets, migrations.RunPython.noop)]
