"""The webhook inbox retries processing: a status, attempts and when to look again.

Events stored before this were either processed or not; a verified one that was not processed
(its one attempt failed, and nothing ever tried again) becomes due now, so the sweeper picks it
up after the upgrade."""

from django.db import migrations, models
from django.utils import timezone


def set_statuses(apps, schema_editor):
    WebhookEvent = apps.get_model("integrations", "WebhookEvent")
    WebhookEvent.objects.filter(valid=False).update(status="refused")
    WebhookEvent.objects.filter(valid=True, processed=True).update(status="processed")
    WebhookEvent.objects.filter(valid=True, processed=False).update(
        status="retry", next_attempt_at=timezone.now(), processed_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0004_paytypemapping"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="status",
            field=models.CharField(
                choices=[("received", "Received"), ("refused", "Refused"),
                         ("duplicate", "Duplicate"), ("queued", "Queued"),
                         ("running", "Processing"), ("retry", "Will retry"),
                         ("processed", "Processed"), ("failed", "Failed"),
                         ("dead", "Dead letter")],
                default="received", max_length=12),
        ),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(fields=["status", "next_attempt_at"], name="webhook_event_due"),
        ),
        migrations.RunPython(set_statuses, migrations.RunPython.noop),
    ]
