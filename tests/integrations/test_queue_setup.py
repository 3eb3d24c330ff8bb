import ast

import pytest
from django.core.management import call_command
from django.utils.module_loading import import_string
from django_q.models import Schedule

from integrations.checks import check_task_queue
from integrations.providers import registry
from integrations.providers.base import Provider
from integrations.providers.base import Schedule as ProviderSchedule
from integrations.tasks import run_provider_schedule


@pytest.mark.django_db
def test_setup_schedules_is_idempotent():
    call_command("setup_schedules")
    first = list(Schedule.objects.order_by("name").values_list("name", "func", "minutes"))
    call_command("setup_schedules")
    assert list(Schedule.objects.order_by("name").values_list("name", "func", "minutes")) == first
    funcs = {f for _, f, _ in first}
    assert "integrations.tasks.sweep_sync_jobs" in funcs
    assert "integrations.tasks.refresh_expiring_tokens" in funcs


class Polled(Provider):
    key = "polled_test"
    name = "Polled"
    calls = []

    @classmethod
    def schedules(cls):
        return [ProviderSchedule("sync: Polled test poll", 7),
                ProviderSchedule("sync: Polled test tidy", 60, hook="tidy")]

    @classmethod
    def poll_all(cls):
        cls.calls.append("poll_all")
        return {"polled": True}

    @classmethod
    def tidy(cls):
        cls.calls.append("tidy")

    @classmethod
    def forbidden(cls):
        cls.calls.append("forbidden")


@pytest.fixture
def polled():
    registry.register(Polled)
    Polled.calls = []
    yield Polled
    registry.unregister(Polled.key)


@pytest.mark.django_db
def test_a_providers_schedules_become_rows_that_run_its_hooks(polled):
    call_command("setup_schedules")
    rows = {row.name: row for row in Schedule.objects.filter(name__startswith="sync: Polled")}
    assert {name: (row.func, row.minutes) for name, row in rows.items()} == {
        "sync: Polled test poll": ("integrations.tasks.run_provider_schedule", 7),
        "sync: Polled test tidy": ("integrations.tasks.run_provider_schedule", 60)}
    # what django-q2's scheduler does with a row: literal args to the named task
    for row in rows.values():
        import_string(row.func)(*ast.literal_eval(row.args))
    assert sorted(polled.calls) == ["poll_all", "tidy"]


def test_run_provider_schedule_runs_only_declared_hooks(polled):
    assert run_provider_schedule("polled_test", "poll_all") == {"polled": True}
    with pytest.raises(LookupError):
        run_provider_schedule("polled_test", "forbidden")
    with pytest.raises(LookupError):
        run_provider_schedule("no_such_provider", "poll_all")
    assert polled.calls == ["poll_all"]


@pytest.mark.django_db
def test_every_registered_provider_schedule_is_created():
    call_command("setup_schedules")
    for provider in registry.all():
        for schedule in provider.schedules():
            row = Schedule.objects.get(name=schedule.name)
            assert ast.literal_eval(row.args) == (provider.key, schedule.hook)
            assert row.minutes == schedule.minutes


@pytest.mark.django_db
def test_setup_schedules_removes_schedules_it_no_longer_wants():
    Schedule.objects.create(name="sync: retired poller", func="x.y", schedule_type=Schedule.MINUTES,
                            minutes=5)
    call_command("setup_schedules")
    assert not Schedule.objects.filter(name="sync: retired poller").exists()


@pytest.mark.django_db
def test_a_removed_providers_schedule_goes_whatever_its_name():
    Schedule.objects.create(name="Nightly reconcile", schedule_type=Schedule.MINUTES,
                            func="integrations.tasks.run_provider_schedule",
                            args="('gone', 'poll_all')", minutes=5)
    Schedule.objects.create(name="someone else's", func="x.y", schedule_type=Schedule.MINUTES,
                            minutes=5)
    call_command("setup_schedules")
    assert not Schedule.objects.filter(name="Nightly reconcile").exists()
    assert Schedule.objects.filter(name="someone else's").exists()


def test_queue_settings_never_run_a_task_twice_in_parallel(settings):
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"]
    assert settings.Q_CLUSTER["catch_up"] is False
    assert check_task_queue(None) == []
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "retry": settings.Q_CLUSTER["timeout"]}
    assert [e.id for e in check_task_queue(None)] == ["integrations.E001"]
