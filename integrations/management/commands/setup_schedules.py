from django.core.management.base import BaseCommand
from django.db.models import Q
from django_q.models import Schedule

PROVIDER_TASK = "integrations.tasks.run_provider_schedule"

# name -> (task, args, minutes). Created here, never at import, so the set is explicit and
# idempotent.
SCHEDULES = {
    "sync: sweep due and abandoned jobs": ("integrations.tasks.sweep_sync_jobs", (), 1),
    "sync: refresh tokens ahead of expiry": ("integrations.tasks.refresh_expiring_tokens", (), 5),
}


def provider_schedules():
    """Every registered provider's periodic hooks (`Provider.schedules()`), each run by
    `run_provider_schedule(key, hook)`: name -> (task, args, minutes)."""
    from integrations.providers import registry

    wanted = {}
    for provider in registry.all():
        for schedule in provider.schedules():
            wanted[schedule.name] = (PROVIDER_TASK, (provider.key, schedule.hook),
                                     schedule.minutes)
    return wanted


class Command(BaseCommand):
    help = "Create or update the periodic tasks (idempotent; safe on every deploy)."

    def handle(self, *args, **options):
        wanted = {**SCHEDULES, **provider_schedules()}
        for name, (func, task_args, minutes) in wanted.items():
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "args": repr(tuple(task_args)) if task_args else None,
                          "schedule_type": Schedule.MINUTES, "minutes": minutes,
                          "repeats": -1},
            )
            self.stdout.write(f"{'created' if created else 'updated'}: {name} every {minutes} min")
        # Ours: named "sync: ..." or running a provider's hook (whatever its name), so a
        # provider removed from the registry leaves no schedule calling it behind.
        stale = (Schedule.objects.filter(Q(name__startswith="sync: ") | Q(func=PROVIDER_TASK))
                 .exclude(name__in=wanted))
        for schedule in stale:
            self.stdout.write(f"removed: {schedule.name}")
        stale.delete()
