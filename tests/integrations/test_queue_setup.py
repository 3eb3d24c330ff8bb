import pytest
from django.core.management import call_command
from django_q.models import Schedule

from integrations.checks import check_task_queue


@pytest.mark.django_db
def test_setup_schedules_is_idempotent():
    call_command("setup_schedules")
    first = list(Schedule.objects.order_by("name").values_list("name", "func", "minutes"))
    call_command("setup_schedules")
    assert list(Schedule.objects.order_by("name").values_list("name", "func", "minutes")) == first
    funcs = {f for _, f, _ in first}
    assert "integrations.tasks.sweep_sync_jobs" in funcs
    assert "integrations.tasks.refresh_expiring_tokens" in funcs


@pytest.mark.django_db
def test_setup_schedules_removes_schedules_it_no_longer_wants():
    Schedule.objects.create(name="sync: retired poller", func="x.y", schedule_type=Schedule.MINUTES,
                            minutes=5)
    call_command("setup_schedules")
    assert not Schedule.objects.filter(name="sync: retired poller").exists()


def test_queue_settings_never_run_a_task_twice_in_parallel(settings):
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"]
    assert settings.Q_CLUSTER["catch_up"] is False
    assert check_task_queue(None) == []
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "retry": settings.Q_CLUSTER["timeout"]}
    assert [e.id for e in check_task_queue(None)] == ["integrations.E001"]
