"""The Fortnox simulator's absence transactions (`3/absencetransactions`), as the spec has them:
create with the required EmployeeId, CauseCode (Fortnox's absence codes only) and Date, numbers
for Hours and Extent, the list filtered by employee and date, one read, changed and deleted by
its id, the employee's absences of a day and cause code, and the `salary` scope."""

import pytest

from sandbox.fortnox import fields
from sandbox.fortnox.seed import access_headers, seed_app, seed_company
from tests.sandbox.test_fortnox import BASE, SPEC, Api, error_code


@pytest.fixture
def company(db):
    return seed_company("Frost Bygg AB")


@pytest.fixture
def api(client, company):
    app = seed_app()
    api = Api(client, access_headers(company, app.client_id))
    for number, first in (("17", "Sven"), ("18", "Stina")):
        created = api.post("3/employees", {"Employee": {
            "EmployeeId": number, "FirstName": first, "LastName": "Snickare",
            "Email": f"{first.lower()}@frostbygg.example.se"}})
        assert created.status_code == 201, created.content
    return api


def absence(api, **body):
    response = api.post("3/absencetransactions", {"AbsenceTransaction": {
        "EmployeeId": "17", "CauseCode": "SJK", "Date": "2026-11-03", "Hours": 8, **body}})
    assert response.status_code == 201, response.content
    return response.json()["AbsenceTransaction"]


def test_an_absence_is_created_read_changed_and_deleted(api, client):
    created = absence(api, Hours="7,5", Extent=100, HolidayEntitling=True)

    assert created["id"] and created["@url"].endswith(f"/3/absencetransactions/{created['id']}")
    assert (created["CauseCode"], created["Date"], created["Hours"], created["Extent"],
            created["HolidayEntitling"]) == ("SJK", "2026-11-03", 7.5, 100, True)
    assert api.get(f"3/absencetransactions/{created['id']}").json()[
        "AbsenceTransaction"] == created

    changed = api.put(f"3/absencetransactions/{created['id']}",
                      {"AbsenceTransaction": {"CauseCode": "VAB", "Hours": 4}})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["AbsenceTransaction"]["CauseCode"],
            changed.json()["AbsenceTransaction"]["Hours"]) == ("VAB", 4)

    deleted = client.delete(f"{BASE}/3/absencetransactions/{created['id']}",
                            headers=api.headers)
    assert deleted.status_code == 204
    gone = api.get(f"3/absencetransactions/{created['id']}")
    assert gone.status_code == 404 and error_code(gone) == 2000423


def test_the_list_filters_by_employee_and_date(api):
    mine = absence(api)
    absence(api, Date="2026-11-04", CauseCode="VAB")
    absence(api, EmployeeId="18")

    rows = api.get("3/absencetransactions", employeeid="17", date="2026-11-03").json()
    everything = api.get("3/absencetransactions").json()

    assert [row["id"] for row in rows["AbsenceTransactions"]] == [mine["id"]]
    assert set(rows["AbsenceTransactions"][0]) == set(fields.LIST_FIELDS["absencetransaction"])
    assert everything["MetaInformation"]["@TotalResources"] == 3
    refused = api.get("3/absencetransactions", lastmodified="2026-11-01 00:00")
    assert refused.status_code == 400 and error_code(refused) == 2000588


def test_an_employees_absences_of_a_day_and_cause_code(api):
    sick = absence(api)
    absence(api, CauseCode="VAB")
    absence(api, EmployeeId="18")

    found = api.get("3/absencetransactions/17/2026-11-03/SJK")
    unknown_code = api.get("3/absencetransactions/17/2026-11-03/ARB")

    assert found.status_code == 200
    assert [row["id"] for row in found.json()["AbsenceTransactions"]] == [sick["id"]]
    assert unknown_code.status_code == 400 and error_code(unknown_code) == 2000464


def test_what_fortnox_refuses(api, client, company):
    def post(**body):
        return api.post("3/absencetransactions", {"AbsenceTransaction": body})

    worked_code = post(EmployeeId="17", CauseCode="ARB", Date="2026-11-03")
    no_employee = post(EmployeeId="99", CauseCode="SJK", Date="2026-11-03")
    no_date = post(EmployeeId="17", CauseCode="SJK")
    hours_as_text = post(EmployeeId="17", CauseCode="SJK", Date="2026-11-03", Hours="åtta")
    unknown_field = post(EmployeeId="17", CauseCode="SJK", Date="2026-11-03", Minutes=480)
    wrong_scope = client.get(f"{BASE}/3/absencetransactions",
                             headers=access_headers(company, seed_app().client_id,
                                                    scope="customer"))

    assert error_code(worked_code) == 2000464  # an attendance code is not an absence
    assert error_code(no_employee) == 2000423
    assert no_date.status_code == 400
    assert error_code(hours_as_text) == 2000108
    assert error_code(unknown_field) == 2001399
    assert wrong_scope.status_code == 403 and error_code(wrong_scope) == 2000663


def test_accepted_fields_are_the_specs_absence_payload():
    import json

    try:
        with open(SPEC) as spec_file:
            schema = json.load(spec_file)["components"]["schemas"][
                "fortnox_AbsenceTransactionPayload"]
    except FileNotFoundError:
        pytest.skip("the published Fortnox spec is not on this machine")
    assert fields.ABSENCE_TRANSACTION.spec == dict.fromkeys(schema["properties"])
    assert set(schema["required"]) == {"EmployeeId", "CauseCode", "Date"}
