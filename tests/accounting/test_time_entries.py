"""Time entries carry an absence kind (empty = worked hours): entered in admin, shown on the
staff pages in the organization's language."""

import pytest
from django.urls import reverse

from accounting.models import TimeEntry
from tests.accounting.cases import admin_url, change_form_data

pytestmark = pytest.mark.django_db


def test_the_absence_kind_is_edited_in_admin(client, org, org_admin, records):
    entry = records[TimeEntry]
    assert entry.absence_kind == "" and not entry.is_absence
    client.force_login(org_admin)
    url = admin_url(TimeEntry, "change", entry.pk)
    page = client.get(url)
    assert 'name="absence_kind"' in page.content.decode()
    data = change_form_data(page) | {"absence_kind": "care_of_sick_child"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.absence_kind == TimeEntry.AbsenceKind.CARE_OF_SICK_CHILD and entry.is_absence
    listed = client.get(admin_url(TimeEntry, "changelist") + "?absence_kind=care_of_sick_child")
    assert list(listed.context["cl"].result_list) == [entry]
    refused = client.post(url, data | {"absence_kind": "sabbatical"})
    assert refused.status_code == 200 and "absence_kind" in \
        refused.context["adminform"].form.errors


def test_staff_pages_show_the_absence_in_the_organizations_language(client, make_org,
                                                                    make_user):
    from tests.accounting.factories import make_records

    frost = make_org("frost-sv", name="Frost Bygg AB", country="SE", language="sv")
    records = make_records(frost, "Borealis")
    entry = records[TimeEntry]
    worked = TimeEntry.objects.create(organization=frost, employee=entry.employee,
                                      date=entry.date, hours=entry.hours, description="Arbete")
    entry.absence_kind = TimeEntry.AbsenceKind.SICK_LEAVE
    entry.save()
    client.force_login(make_user("sv-staff", frost))
    listing = client.get(reverse("accounting:timeentry_list")).content.decode()
    assert "Frånvaro" in listing and "Sjukfrånvaro" in listing
    detail = client.get(reverse("accounting:timeentry_detail", args=[entry.pk])).content.decode()
    assert "7,5 tim (Sjukfrånvaro)" in detail
    other = client.get(reverse("accounting:timeentry_detail", args=[worked.pk])).content.decode()
    assert "Sjukfrånvaro" not in other
    employee = client.get(reverse("accounting:employee_detail",
                                  args=[entry.employee_id])).content.decode()
    assert "Sjukfrånvaro" in employee
