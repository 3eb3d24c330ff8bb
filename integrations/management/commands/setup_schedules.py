from django.core.management.base import BaseCommand
from django_q.models import Schedule

# name -> (task, minutes). Created here, never at import, so the set is explicit and idempotent.
SCHEDULES = {
    "sync: sweep due and abandoned jobs": ("integrations.tasks.sweep_sync_jobs", 1),
    "sync: refresh tokens ahead of expiry": ("integrations.tasks.refresh_expiring_tokens", 5),
}


def extra_schedules():
    """Providers add their pollers here (name -> (task, minutes))."""
    from integrations.providers import registry

    extra = {}
    for provider in registry.all():
        extra.update(getattr(provider, "schedules", {}))
    return extra


class Command(BaseCommand):
    help = "Create or update the periodic tasks (idempotent; safe on every deploy)."

    def handle(self, *args, **options):
        wanted = {**SCHEDULES, **extra_schedules()}
        for name, (func, minutes) in wanted.items():
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes,
                          "repeats": -1},
            )
            self.stdout.write(f"{'created' if created else 'updated'}: {name} every {minutes} min")
        stale = Schedule.objects.filter(name__startswith="sync: ").exclude(name__in=wanted)
        for schedule in stale:
            self.stdout.write(f"removed: {schedule.name}")
        stale.delete()
