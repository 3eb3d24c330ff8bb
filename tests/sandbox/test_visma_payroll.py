"""The Visma payroll (Spiris Lön API V2) simulator against Django's test client: tokens of the
shared Visma identity server with `vls:api`, employees, shortcuts with their rules (limited
employees, IsRead, only our own client's), pay codes, a wage run from the shortcuts and the
payslips it makes, the error envelope, the per-endpoint window and faults."""

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import time_machine

from sandbox.framework import faults
from sandbox.visma_eaccounting.seed import access_headers, seed_app, seed_company
from sandbox.visma_payroll.simulator import RATE_LIMIT

BASE = "/sandbox/visma_payroll"
NOW = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def company(db):
    return seed_company("Frost Bygg AB")


@pytest.fixture
def app(db):
    return seed_app()


class Api:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, path, **params):
        url = f"{BASE}/{path}" + (f"?{urlencode(params)}" if params else "")
        return self.client.get(url, headers=self.headers)

    def send(self, method, path, body):
        return getattr(self.client, method)(f"{BASE}/{path}", json.dumps(body),
                                            content_type="application/json",
                                            headers=self.headers)

    def post(self, path, body):
        return self.send("post", path, body)

    def control(self, path, body):
        return self.client.post(f"{BASE}/_control/{path}", json.dumps(body),
                                content_type="application/json")


@pytest.fixture
def api(client, company, app):
    return Api(client, access_headers(company, app.client_id, scope="vls:api offline_access"))


def new_employee(api, number="101", personal="198004121234", **extra):
    response = api.post("v2/employees", {"FirstName": "Lars", "LastName": "Andersson",
                                         "EmployeeNumber": number,
                                         "IdentificationNumber": personal,
                                         "Contract": {"SalaryType": 1}, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def hours(employee_id, day="2026-03-02", minutes=480, **extra):
    return {"EmployeeId": employee_id, "StartDate": day, "EndDate": day,
            "ShortcutRegistrationMethod": 1, "MinutesOfDay": minutes, **extra}


def error(response):
    body = response.json()
    assert set(body) >= {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}
    return body["ErrorCode"]


def test_a_token_needs_the_payroll_scope(client, company, app):
    assert error(client.get(f"{BASE}/v2/employees")) == 4005
    without = access_headers(company, app.client_id, scope="ea:api offline_access")
    response = client.get(f"{BASE}/v2/employees", headers=without)
    assert response.status_code == 403 and error(response) == 4006
    both = access_headers(company, app.client_id, scope="ea:api vls:api")
    assert client.get(f"{BASE}/v2/employees", headers=both).status_code == 200


def test_an_employee_is_created_and_listed_and_duplicates_conflict(api):
    created = new_employee(api)
    assert (created["Type"], created["State"], created["EmployeeNumber"]) == (0, 1, "101")
    listed = api.get("v2/employees", **{"$filter": "EmployeeNumber eq '101'"}).json()
    assert listed["Meta"]["TotalNumberOfResults"] == 1
    assert listed["Data"][0]["Id"] == created["Id"]
    for number, personal in (("101", "199001011111"), ("102", "198004121234")):
        again = api.post("v2/employees", {"FirstName": "X", "LastName": "Y",
                                          "EmployeeNumber": number,
                                          "IdentificationNumber": personal,
                                          "Contract": {"SalaryType": 1}})
        assert again.status_code == 400 and error(again) == 4000


def test_unknown_fields_and_missing_ones_are_refused_with_their_paths(api):
    response = api.post("v2/employees", {"FirstName": "A", "LastName": "B",
                                         "IdentificationNumber": "198001011234",
                                         "Contract": {"SalaryType": 1, "Salary": 30000}})
    assert response.status_code == 400 and error(response) == 2000
    assert response.json()["Errors"][0]["Field"] == "Contract.Salary"
    missing = api.post("v2/employees", {"FirstName": "A", "LastName": "B",
                                        "Contract": {"SalaryType": 1}})
    assert missing.json()["Errors"][0]["Field"] == "IdentificationNumber"


def test_hours_worked_round_trip_and_the_range_of_our_client(api, client, company):
    employee = new_employee(api)
    created = api.post("v2/shortcuts/hoursworked", hours(employee["Id"], Comment="x [ref-1]"))
    assert created.status_code == 201
    body = created.json()
    assert body["IsRead"] is False and body["MinutesOfDay"] == 480
    assert body["StartDate"] == "2026-03-02T00:00:00"
    other = Api(client, access_headers(company, seed_app().client_id, scope="vls:api"))
    other.post("v2/shortcuts/hoursworked", hours(employee["Id"]))
    everyone = api.get("v2/shortcuts/hoursworked/2026-03-01/2026-03-31").json()
    ours = api.get("v2/shortcuts/hoursworked/2026-03-01/2026-03-31",
                   includeOnlySameClientShortcuts="true").json()
    assert len(everyone) == 2 and [s["Id"] for s in ours] == [body["Id"]]
    # Another client's shortcut cannot be changed by us.
    theirs = next(s for s in everyone if s["Id"] != body["Id"])
    refused = api.send("put", f"v2/shortcuts/hoursworked/{theirs['Id']}", hours(employee["Id"]))
    assert refused.status_code == 403 and error(refused) == 4007


def test_a_read_shortcut_can_no_longer_be_changed_or_deleted(api, company):
    employee = new_employee(api)
    shortcut = api.post("v2/shortcuts/hoursworked", hours(employee["Id"])).json()
    path = f"v2/shortcuts/hoursworked/{shortcut['Id']}"
    changed = api.send("put", path, hours(employee["Id"], minutes=420))
    assert changed.status_code == 200 and changed.json()["MinutesOfDay"] == 420
    marked = api.control("shortcuts/read", {"tenant": company.external_id})
    assert marked.json()["read"] == [shortcut["Id"]]
    assert api.get(path).json()["IsRead"] is True
    for method, body in (("put", hours(employee["Id"])), ("delete", {})):
        refused = api.send(method, path, body)
        assert refused.status_code == 400 and error(refused) == 4002


def test_a_limited_employee_gets_no_shortcuts(api, company):
    limited = api.control("employees", {"tenant": company.external_id, "FirstName": "Ola",
                                        "LastName": "Lim", "IdentificationNumber": "197001011234",
                                        "EmployeeNumber": "900", "Type": 1}).json()
    refused = api.post("v2/shortcuts/hoursworked", hours(limited["Id"]))
    assert refused.status_code == 400 and error(refused) == 4002
    assert "limited" in refused.json()["DeveloperErrorMessage"]


@pytest.mark.parametrize("body, field", [
    ({"ShortcutRegistrationMethod": 1, "MinutesOfDay": 2000}, "MinutesOfDay"),
    ({"ShortcutRegistrationMethod": 0, "StartTime": "7"}, "StartTime"),
    ({"ShortcutRegistrationMethod": 7}, "ShortcutRegistrationMethod"),
    ({"StartDate": "2026-3-2"}, "StartDate"),
    ({"EndDate": "2026-03-01"}, "EndDate"),
])
def test_shortcut_values_are_checked(api, body, field):
    employee = new_employee(api)
    response = api.post("v2/shortcuts/hoursworked", {**hours(employee["Id"]), **body})
    assert response.status_code == 400 and response.json()["Errors"][0]["Field"] == field


def test_a_shortcut_over_two_months_is_split(api):
    employee = new_employee(api)
    api.post("v2/shortcuts/sickleave", hours(employee["Id"], day="2026-03-30") | {
        "EndDate": "2026-04-02"})
    march = api.get("v2/shortcuts/sickleave/2026-03-01/2026-03-31").json()
    april = api.get("v2/shortcuts/sickleave/2026-04-01/2026-04-30").json()
    assert [(s["StartDate"][:10], s["EndDate"][:10]) for s in march + april] == [
        ("2026-03-30", "2026-03-31"), ("2026-04-01", "2026-04-02")]


def test_addition_rows_need_an_addition_pay_code(api):
    employee = new_employee(api)
    codes = api.get("v2/paycodes/otheradditiondeduction").json()
    assert {c["PaycodeNumber"] for c in codes["CompensationPaycodes"]} >= {"1310", "1340"}
    assert api.get("v2/paycodes").json()["Meta"]["TotalNumberOfResults"] >= 10
    body = {"EmployeeId": employee["Id"], "Date": "2026-03-31",
            "Rows": [{"PaycodeNumber": "5010", "Quantity": 1, "UnitPrice": 10}]}
    refused = api.post("v2/shortcuts/otheradditiondeduction", body)
    assert refused.json()["Errors"][0]["Field"] == "Rows[0].PaycodeNumber"
    body["Rows"] = [{"PaycodeNumber": "1340", "Quantity": 6, "UnitPrice": 330.123}]
    assert api.post("v2/shortcuts/otheradditiondeduction", body).json()["Errors"][0][
        "Field"] == "Rows[0].UnitPrice"
    body["Rows"][0]["UnitPrice"] = 330
    assert api.post("v2/shortcuts/otheradditiondeduction", body).status_code == 201


def test_a_wage_run_reads_the_shortcuts_and_makes_payslips(api, company):
    lars = new_employee(api)
    maria = new_employee(api, number="102", personal="199001022345",
                         Contract={"SalaryType": 2})
    api.control("employees", {"tenant": company.external_id, "Id": lars["Id"],
                              "MonthlySalary": 38500})
    api.control("employees", {"tenant": company.external_id, "Id": maria["Id"],
                              "HourlyRate": 200})
    api.post("v2/shortcuts/hoursworked", hours(maria["Id"], minutes=480))
    api.post("v2/shortcuts/otheradditiondeduction", {
        "EmployeeId": lars["Id"], "Date": "2026-03-31",
        "Rows": [{"PaycodeNumber": "1340", "Quantity": 6, "UnitPrice": 330},
                 {"PaycodeNumber": "2310", "Quantity": 1, "UnitPrice": 500}]})
    run = api.control("wageruns", {"tenant": company.external_id, "from": "2026-03-01",
                                   "to": "2026-03-31", "payment_date": "2026-03-25"})
    assert run.status_code == 201
    run = run.json()
    assert run["Locked"] is False and len(run["PayslipIds"]) == 2
    assert all(s["IsRead"] for s in api.get(
        "v2/shortcuts/hoursworked/2026-03-01/2026-03-31").json())
    details = api.get(f"v2/payslips/{lars['Id']}/withdetails").json()["Data"]
    # 38500 + 6 x 330 - 500 = 39980; tax 30 % = 11994; net 27986.
    assert [(d["GrossSalary"], d["PreliminaryTax"], d["NetSalary"]) for d in details] == [
        (39980.0, 11994.0, 27986.0)]
    assert api.get(f"v2/payslips/{maria['Id']}/withdetails").json()["Data"][0][
        "GrossSalary"] == 1600.0
    assert run["GrossSalary"] == 41580.0
    locked = api.control("wageruns/lock", {"tenant": company.external_id, "id": run["Id"]})
    assert locked.json()["Locked"] is True
    assert api.get(f"v2/wageruns/{run['Id']}").json()["Locked"] is True
    summary = api.get(f"v2/payslips/wagerun/{run['Id']}").json()["Data"]
    assert len(summary) == 2 and all(p["Locked"] for p in summary)
    assert api.get("v2/wageruns").json()["Data"][0]["Id"] == run["Id"]


def test_unknown_ids_and_filters_answer_in_vismas_shape(api):
    assert error(api.get("v2/employees/not-a-uuid")) == 3000
    assert api.get("v2/wageruns/8b0f2c3e-1d2a-4b5c-9e8f-7a6b5c4d3e2f").status_code == 404
    response = api.get("v2/employees", **{"$filter": "startswith(FirstName,'L')"})
    assert response.status_code == 400 and error(response) == 6000


def test_the_window_is_per_client_and_endpoint(api, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(RATE_LIMIT, "clock", lambda: clock[0])
    monkeypatch.setattr(RATE_LIMIT, "limit", 3)
    assert [api.get("v2/employees").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = api.get("v2/employees")
    assert error(refused) == 4010 and "per Minute" in refused.json()["DeveloperErrorMessage"]
    assert api.get("v2/paycodes").status_code == 200  # another endpoint, another window
    clock[0] += 61
    assert api.get("v2/employees").status_code == 200


def test_faults_answer_in_vismas_shape(api, company):
    faults.configure("visma_payroll", server_error_rate=1.0, server_error_status=503)
    response = api.get("v2/employees")
    assert response.status_code == 503 and error(response) == 5001
    faults.clear("visma_payroll")
    assert api.get("v2/employees").status_code == 200
