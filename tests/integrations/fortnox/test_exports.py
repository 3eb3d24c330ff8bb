"""The seven export operations through the engine, with Fortnox's answers played by `responses`:
create or update, exactly one remote object after an unknown outcome, and errors said so a
person can act."""

import json

import pytest

from integrations.models import Connection, Link, SyncJob, SyncLogEntry
from integrations.providers import registry
from integrations.providers.fortnox.client import FortnoxClient
from tests.integrations.fortnox.conftest import (
    API,
    AUTH,
    answer_invoice_create,
    echo,
    error_body,
    listing,
    lose,
    requests_to,
    run,
    sent,
)

pytestmark = pytest.mark.django_db
S = SyncJob.Status


def _link(connection, record_type, obj):
    return Link.objects.get(connection=connection, record_type=record_type, local_id=str(obj.pk))


def test_customer_create_then_update(connection, rsps, customer):
    number = f"H{customer.pk}"
    echo(rsps, "POST", "/customers", "Customer", status=201)
    echo(rsps, "PUT", f"/customers/{number}", "Customer")
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "done", job.last_error
    assert _link(connection, "customer", customer).remote_id == number
    [created] = requests_to(rsps, "POST", "/customers")
    assert sent(created)["Customer"]["CustomerNumber"] == number
    assert sent(created)["Customer"]["ExternalReference"] == job.external_reference
    customer.city = "Solna"
    customer.save()
    outcome, _ = run(connection, "customer.export", customer, variant="v2")
    assert outcome == "done"
    assert [c.request.method for c in rsps.calls] == ["POST", "PUT"]
    [updated] = requests_to(rsps, "PUT", f"/customers/{number}")
    assert sent(updated)["Customer"]["City"] == "Solna"


def test_customer_lost_response_is_adopted_not_doubled(connection, rsps, customer):
    number = f"H{customer.pk}"
    lose(rsps, "POST", "/customers")
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "unknown" and job.outcome_uncertain
    stored = sent(requests_to(rsps, "POST", "/customers")[0])["Customer"]
    rsps.add("GET", f"{API}/customers/{number}", json={"Customer": stored})
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    from integrations.engine import run_job

    assert run_job(job.pk) == "adopted"
    assert len(requests_to(rsps, "POST", "/customers")) == 1
    assert _link(connection, "customer", customer).remote_id == number


def test_customer_number_in_use_by_someone_else(connection, rsps, customer):
    number = f"H{customer.pk}"
    rsps.add("POST", f"{API}/customers", status=400,
             json=error_body(2000637, "Kundnummer används redan"))
    rsps.add("GET", f"{API}/customers/{number}", json={"Customer": {
        "CustomerNumber": number, "Name": "Annan kund", "ExternalReference": ""}})
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "failed"
    assert "already taken by 'Annan kund'" in job.last_error
    assert job.last_error_code == "2000637"
    entry = SyncLogEntry.objects.get(job=job, status="failed")
    assert "2000637" in entry.raw_response and "Kundnummer" in entry.raw_response  # verbatim
    assert not requests_to(rsps, "PUT", f"/customers/{number}")


def test_retry_with_number_in_use_and_our_reference_updates_it(connection, rsps, customer):
    """A create whose answer was lost but not flagged uncertain (e.g. a crash after sending)."""
    from integrations.engine.jobs import external_reference

    number = f"H{customer.pk}"
    reference = external_reference("customer", customer.pk, organization=customer.organization)
    rsps.add("POST", f"{API}/customers", status=400,
             json=error_body(2000637, "Kundnummer används redan"))
    rsps.add("GET", f"{API}/customers/{number}", json={"Customer": {
        "CustomerNumber": number, "Name": "Old", "ExternalReference": reference}})
    echo(rsps, "PUT", f"/customers/{number}", "Customer")
    outcome, _ = run(connection, "customer.export", customer)
    assert outcome == "done"
    [updated] = requests_to(rsps, "PUT", f"/customers/{number}")
    assert sent(updated)["Customer"]["Name"] == "Brf Solrosen"
    assert len(requests_to(rsps, "POST", "/customers")) == 1


def _fortnox_takes_the_invoice(rsps, number="1"):
    """Fortnox creating the invoice's customer, project and the invoice itself."""
    echo(rsps, "POST", "/customers", "Customer", status=201)
    echo(rsps, "POST", "/projects", "Project", status=201)
    answer_invoice_create(rsps, number)


def _exported_invoice(connection, rsps, invoice):
    """The invoice sent once; returns Fortnox's invoice as it now holds it."""
    _fortnox_takes_the_invoice(rsps)
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "done", job.last_error
    return [c.response.json() for c in rsps.calls
            if c.request.method == "POST" and c.request.url == f"{API}/invoices"][-1]["Invoice"]



def test_invoice_sends_customer_and_project_first(connection, rsps, invoice):
    _fortnox_takes_the_invoice(rsps)
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "done", job.last_error
    assert [c.request.url for c in rsps.calls] == [
        f"{API}/customers", f"{API}/projects", f"{API}/invoices"]
    remote = sent(requests_to(rsps, "POST", "/invoices")[0])["Invoice"]
    assert remote["CustomerNumber"] == f"H{invoice.customer_id}"
    assert remote["Project"] == "P-2026-07"
    assert remote["ExternalInvoiceReference1"] == job.external_reference
    assert [r["AccountNumber"] for r in remote["InvoiceRows"]] == [3041, 3051]
    assert _link(connection, "customer", invoice.customer).remote_id == f"H{invoice.customer_id}"
    assert _link(connection, "project", invoice.project).remote_id == "P-2026-07"
    link = _link(connection, "invoice", invoice)
    assert link.remote_id == "1" and link.data["local"]["your_reference"] == "Olle Ek"
    invoice.refresh_from_db()
    assert invoice.number == "1" and invoice.status == "invoiced"
    assert invoice.remaining_amount > 0


def test_invoice_update_keeps_row_ids(connection, rsps, invoice):
    current = _exported_invoice(connection, rsps, invoice)
    rsps.add("GET", f"{API}/invoices/1", json={"Invoice": current})
    echo(rsps, "PUT", "/invoices/1", "Invoice")
    invoice.lines.filter(position=1).delete()
    invoice.your_reference = "Stina Ek"
    invoice.save()
    outcome, job = run(connection, "invoice.export", invoice, variant="edit-1")
    assert outcome == "done", job.last_error
    put = sent(requests_to(rsps, "PUT", "/invoices/1")[-1])["Invoice"]
    assert put["YourReference"] == "Stina Ek"
    assert [row.get("RowId") for row in put["InvoiceRows"]] == [100]
    assert len(requests_to(rsps, "POST", "/invoices")) == 1


def test_booked_invoice_is_not_changed(connection, rsps, invoice):
    current = _exported_invoice(connection, rsps, invoice)
    rsps.add("GET", f"{API}/invoices/1", json={"Invoice": {**current, "Booked": True}})
    outcome, job = run(connection, "invoice.export", invoice, variant="edit-1")
    assert outcome == "failed"
    assert "booked in Fortnox" in job.last_error and "Credit it" in job.last_error
    assert not requests_to(rsps, "PUT", "/invoices/1")


def test_cancelled_invoice_is_cancelled_in_fortnox(connection, rsps, invoice):
    current = _exported_invoice(connection, rsps, invoice)
    rsps.add("GET", f"{API}/invoices/1", json={"Invoice": current})
    rsps.add("PUT", f"{API}/invoices/1/cancel", json={"Invoice": {**current, "Cancelled": True}})
    invoice.status = "cancelled"
    invoice.save()
    outcome, _ = run(connection, "invoice.export", invoice, variant="cancel")
    assert outcome == "done"
    assert requests_to(rsps, "PUT", "/invoices/1/cancel")
    assert not requests_to(rsps, "PUT", "/invoices/1")  # cancelled, not edited


def test_invoice_found_by_exact_reference_after_unknown_outcome(connection, rsps, invoice):
    """Fortnox's search matches substrings: hub-1-invoice-1 also finds hub-1-invoice-12."""
    from integrations.engine import run_job
    from integrations.engine.jobs import external_reference

    reference = external_reference("invoice", invoice.pk, organization=invoice.organization)
    echo(rsps, "POST", "/customers", "Customer", status=201)
    echo(rsps, "POST", "/projects", "Project", status=201)
    lose(rsps, "POST", "/invoices")
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "unknown"
    ours = {**sent(requests_to(rsps, "POST", "/invoices")[0])["Invoice"], "DocumentNumber": "2",
            "Total": 100, "Balance": 100}
    rsps.add("GET", f"{API}/invoices", json=listing("Invoices", [
        {"DocumentNumber": "1", "ExternalInvoiceReference1": reference + "2"},
        {"DocumentNumber": "2", "ExternalInvoiceReference1": reference}]))
    rsps.add("GET", f"{API}/invoices/2", json={"Invoice": ours})
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "adopted"
    [search] = requests_to(rsps, "GET", "/invoices")
    assert search.params["externalinvoicereference1"] == reference
    assert len(requests_to(rsps, "POST", "/invoices")) == 1  # no twin
    assert _link(connection, "invoice", invoice).remote_id == "2"


def test_find_existing_ignores_substring_matches(connection, rsps, invoice):
    from integrations.engine import enqueue_job, run_job
    from integrations.engine.jobs import external_reference

    reference = external_reference("invoice", invoice.pk, organization=invoice.organization)
    rsps.add("GET", f"{API}/invoices", json=listing("Invoices", [
        {"DocumentNumber": "1", "ExternalInvoiceReference1": reference + "0"}]))
    _fortnox_takes_the_invoice(rsps, number="2")
    job, _ = enqueue_job(connection=connection, operation="invoice.export",
                         record_type="invoice", local_id=invoice.pk)
    SyncJob.objects.filter(pk=job.pk).update(outcome_uncertain=True)
    assert run_job(job.pk) == "done"  # nothing exact found, so it was created
    assert requests_to(rsps, "GET", "/invoices") and not requests_to(rsps, "GET", "/invoices/1")
    assert requests_to(rsps, "POST", "/invoices")
    assert _link(connection, "invoice", invoice).remote_id == "2"


def test_unknown_account_says_which_mapping_to_fix(connection, rsps, invoice):
    echo(rsps, "POST", "/customers", "Customer", status=201)
    echo(rsps, "POST", "/projects", "Project", status=201)
    rsps.add("POST", f"{API}/invoices", status=400,
             json=error_body(2001304, "Kunde inte hitta konto"))
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "failed"
    assert "no such account" in job.last_error
    assert "/admin/integrations/accountmapping/" in job.last_error
    assert "'material'" in job.last_error and "'service'" in job.last_error
    entry = SyncLogEntry.objects.get(job=job, status="failed")
    assert entry.details["provider_response"]["ErrorInformation"]["code"] == 2001304


def test_locked_period_is_named(connection, rsps, invoice):
    echo(rsps, "POST", "/customers", "Customer", status=201)
    echo(rsps, "POST", "/projects", "Project", status=201)
    rsps.add("POST", f"{API}/invoices", status=400, json=error_body(2000123, "Fel 2000123"))
    rsps.add("GET", f"{API}/settings/lockedperiod",
             json={"LockedPeriod": {"EndDate": "2026-11-30"}})
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "failed"
    assert "period up to 2026-11-30 is locked in Fortnox" in job.last_error


def test_missing_mapping_blocks_before_anything_is_sent(connection, rsps, invoice):
    from integrations.models import AccountMapping

    AccountMapping.objects.filter(category="material").delete()
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "failed"
    assert "sales account for the line category 'material'" in job.last_error
    assert "/admin/integrations/accountmapping/add/?provider=fortnox&category=material" in (
        job.last_error)
    assert not rsps.calls
    problems = registry.get("fortnox")(connection).validate_export("invoice", invoice)
    assert [p.field for p in problems] == ["mapping.account.material"]


def test_quote_create_update_and_exact_find(connection, rsps, quote):
    from integrations.engine import run_job

    customer = f"H{quote.customer_id}"
    echo(rsps, "POST", "/customers", "Customer", status=201)
    lose(rsps, "POST", "/offers")
    outcome, job = run(connection, "quote.export", quote)
    assert outcome == "unknown"
    offer = sent(requests_to(rsps, "POST", "/offers")[0])["Offer"]
    assert offer["YourReferenceNumber"] == job.external_reference
    # The customer's offers of that day: someone else's reference first, then ours.
    rsps.add("GET", f"{API}/offers", json=listing("Offers", [
        {"DocumentNumber": "2", "CustomerNumber": customer},
        {"DocumentNumber": "1", "CustomerNumber": customer}]))
    rsps.add("GET", f"{API}/offers/2", json={"Offer": {
        **offer, "DocumentNumber": "2", "YourReferenceNumber": job.external_reference + "0"}})
    rsps.add("GET", f"{API}/offers/1", json={"Offer": {**offer, "DocumentNumber": "1"}})
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "adopted"
    [search] = requests_to(rsps, "GET", "/offers")
    assert (search.params["customernumber"], search.params["fromdate"],
            search.params["todate"]) == (customer, "2026-10-01", "2026-10-01")
    assert _link(connection, "quote", quote).remote_id == "1"
    assert len(requests_to(rsps, "POST", "/offers")) == 1
    echo(rsps, "PUT", "/offers/1", "Offer")
    quote.your_reference = "Stina"
    quote.save()
    assert run(connection, "quote.export", quote, variant="2")[0] == "done"
    assert sent(requests_to(rsps, "PUT", "/offers/1")[-1])["Offer"]["YourReference"] == "Stina"


def test_project_and_employee_are_numbered_by_us(connection, rsps, project, employee):
    echo(rsps, "POST", "/projects", "Project", status=201)
    echo(rsps, "POST", "/employees", "Employee", status=201)
    echo(rsps, "PUT", "/projects/P-2026-07", "Project")
    assert run(connection, "project.export", project)[0] == "done"
    assert run(connection, "employee.export", employee)[0] == "done"
    assert sent(requests_to(rsps, "POST", "/projects")[0])["Project"]["ProjectNumber"] == (
        "P-2026-07")
    assert sent(requests_to(rsps, "POST", "/employees")[0])["Employee"]["EmployeeId"] == "17"
    project.name = "Stambyte etapp 2"
    project.save()
    assert run(connection, "project.export", project, variant="2")[0] == "done"
    put = sent(requests_to(rsps, "PUT", "/projects/P-2026-07")[0])["Project"]
    assert put["Description"] == "Stambyte etapp 2"
    assert len(requests_to(rsps, "POST", "/projects")) == 1


def test_employee_typed_in_fortnox_is_adopted(connection, rsps, employee):
    rsps.add("POST", f"{API}/employees", status=400, json=error_body(2000900, "Finns redan"))
    rsps.add("GET", f"{API}/employees/17", json={"Employee": {
        "EmployeeId": "17", "FirstName": "S", "LastName": "S", "Email": "x@y.se"}})
    echo(rsps, "PUT", "/employees/17", "Employee")
    outcome, _ = run(connection, "employee.export", employee)
    assert outcome == "done"
    assert sent(requests_to(rsps, "PUT", "/employees/17")[0])["Employee"]["FirstName"] == "Sven"
    assert _link(connection, "employee", employee).remote_id == "17"


def test_time_entry_and_its_exact_match(connection, rsps, time_entry):
    from integrations.engine import run_job

    echo(rsps, "POST", "/employees", "Employee", status=201)
    echo(rsps, "POST", "/projects", "Project", status=201)
    lose(rsps, "POST", "/attendancetransactions")
    outcome, job = run(connection, "time_entry.export", time_entry)
    assert outcome == "unknown"
    ours = sent(requests_to(rsps, "POST", "/attendancetransactions")[0])["AttendanceTransaction"]
    # The employee's rows that day: one typed in Fortnox for 7.0 h, and ours.
    rsps.add("GET", f"{API}/attendancetransactions", json=listing("AttendanceTransactions", [
        {"id": 1, "EmployeeId": "17", "CauseCode": "ARB", "Date": "2026-11-03", "Hours": "7.0",
         "Project": "P-2026-07"},
        {**ours, "id": 2}]))
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "adopted"
    [search] = requests_to(rsps, "GET", "/attendancetransactions")
    assert (search.params["employeeid"], search.params["date"]) == ("17", "2026-11-03")
    assert len(requests_to(rsps, "POST", "/attendancetransactions")) == 1
    assert _link(connection, "time_entry", time_entry).remote_id == "2"  # not the 7.0 h row
    assert _link(connection, "employee", time_entry.employee).remote_id == "17"


def test_payslip_half_sent_is_completed_not_doubled(connection, rsps, payslip):
    """The first line goes through, the second meets a 429: the retry must not repeat the
    first (no reference field exists, so rows are matched on every value they carry)."""
    from integrations.engine import run_job

    echo(rsps, "POST", "/employees", "Employee", status=201)
    rsps.add("GET", f"{API}/salarytransactions", json=listing("SalaryTransactions", []))
    echo(rsps, "POST", "/salarytransactions", "SalaryTransaction", status=201, SalaryRow=1)
    rsps.add("POST", f"{API}/salarytransactions", status=429,
             json={"message": "Too many requests"})
    echo(rsps, "POST", "/salarytransactions", "SalaryTransaction", status=201, SalaryRow=2)
    outcome, job = run(connection, "payslip.export", payslip)
    assert outcome == "retry"
    first = sent(requests_to(rsps, "POST", "/salarytransactions")[0])["SalaryTransaction"]
    rsps.replace("GET", f"{API}/salarytransactions",
                 json=listing("SalaryTransactions", [{**first, "SalaryRow": 1}]))
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "done"
    posted = [sent(r)["SalaryTransaction"]["SalaryCode"]
              for r in requests_to(rsps, "POST", "/salarytransactions")]
    assert posted == ["11", "310", "310"]  # 1 ok, 1 429, 1 ok: the first line not again
    assert sorted(_link(connection, "payslip", payslip).data["rows"]) == ["1", "2"]


def test_payslip_update_puts_owned_rows_and_deletes_extra(connection, rsps, payslip):
    echo(rsps, "POST", "/employees", "Employee", status=201)
    rsps.add("GET", f"{API}/salarytransactions", json=listing("SalaryTransactions", []))
    echo(rsps, "POST", "/salarytransactions", "SalaryTransaction", status=201, SalaryRow=1)
    echo(rsps, "POST", "/salarytransactions", "SalaryTransaction", status=201, SalaryRow=2)
    run(connection, "payslip.export", payslip)
    rows = _link(connection, "payslip", payslip).data["rows"]
    assert rows == ["1", "2"]
    echo(rsps, "PUT", "/salarytransactions/1", "SalaryTransaction")
    rsps.add("DELETE", f"{API}/salarytransactions/2", status=204)
    payslip.lines.filter(pay_type="overtime").delete()
    outcome, _ = run(connection, "payslip.export", payslip, variant="2")
    assert outcome == "done"
    assert requests_to(rsps, "PUT", "/salarytransactions/1")
    assert requests_to(rsps, "DELETE", "/salarytransactions/2")
    assert len(requests_to(rsps, "POST", "/salarytransactions")) == 2  # none added
    assert _link(connection, "payslip", payslip).data["rows"] == ["1"]


def test_unmapped_pay_type_links_to_the_mapping(connection, rsps, payslip):
    payslip.lines.create(pay_type="ob_evening", quantity=2, unit_amount=50)
    outcome, job = run(connection, "payslip.export", payslip)
    assert outcome == "failed"
    assert "salary code for the pay type 'ob_evening'" in job.last_error
    assert "/admin/integrations/paytypemapping/add/?provider=fortnox&pay_type=ob_evening" in (
        job.last_error)
    assert not rsps.calls


def test_expired_access_token_403_refreshes_once_and_retries(connection, rsps, customer):
    # Fortnox no longer takes at-0, though it has not expired by our clock.
    rsps.add("POST", f"{API}/customers", status=403,
             json=error_body(2000311, "Saknar behörighet"))
    echo(rsps, "POST", "/customers", "Customer", status=201)
    rsps.add("POST", f"{AUTH}/token", json={"access_token": "at-1", "refresh_token": "rt-1",
                                            "expires_in": 3600, "token_type": "bearer"})
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "done", job.last_error
    tokens = [c for c in rsps.calls if c.request.url == f"{AUTH}/token"]
    assert len(tokens) == 1
    first, retry = requests_to(rsps, "POST", "/customers")
    assert first.headers["Authorization"] == "Bearer at-0"
    assert retry.headers["Authorization"] == "Bearer at-1"
    connection.refresh_from_db()
    assert connection.credentials["refresh_token"] == "rt-1"


def test_paging_reads_every_page_with_the_largest_page_size(connection, rsps):
    accounts = [{"Number": n, "Description": f"Konto {n}", "Active": n != 5,
                 "VATCode": "MP1" if n == 3 else ""} for n in range(1, 1203)]

    def page(request):
        number, size = int(request.params["page"]), int(request.params["limit"])
        return 200, {}, json.dumps(listing("Accounts", accounts[(number - 1) * size:number * size],
                                           page=number, pages=-(-len(accounts) // size)))

    rsps.add_callback("GET", f"{API}/accounts", callback=page)
    provider = registry.get("fortnox")(connection)
    listed = provider.list_accounts()
    assert len(listed) == 1201 and listed[0] == {"number": "1", "name": "Konto 1",
                                                  "vat_code": ""}
    pages = [(r.params["page"], r.params["limit"]) for r in requests_to(rsps, "GET", "/accounts")]
    assert pages == [("1", "500"), ("2", "500"), ("3", "500")]
    assert {c["code"] for c in provider.list_vat_codes()} == {"MP1", "MP2", "MP3", "MF"}


def test_test_connection_reports_the_company(connection, rsps):
    rsps.add("GET", f"{API}/companyinformation", json={"CompanyInformation": {
        "CompanyName": "Frost Bygg AB", "DatabaseNumber": 123456,
        "OrganizationNumber": "556677-8899", "Address": "Byggvägen 1", "ZipCode": "11122",
        "City": "Stockholm", "CountryCode": "SE"}})
    info = registry.get("fortnox")(connection).test_connection()
    assert info["company_name"] == "Frost Bygg AB" and info["tenant_id"] == "123456"
    assert info["address"] == "Byggvägen 1 11122 Stockholm"


@pytest.mark.parametrize("body, code, words", [
    ({"ErrorInformation": {"error": 1, "message": "Kunde inte hitta konto", "code": 2001304}},
     "2001304", "no such account"),
    ({"ErrorInformation": {"Error": 1, "Message": "Ogiltigt tecken", "Code": 2000359}},
     "2000359", "characters Fortnox does not accept"),
    ({"errorInformation": {"error": 1, "message": "Något nytt", "code": 2999999}},
     "2999999", "Fortnox: Något nytt"),
    ({"message": "Too many requests"}, None, "Fortnox: Too many requests"),
])
def test_error_bodies_become_messages(connection, body, code, words):
    import requests

    response = requests.Response()
    response.status_code = 400
    response._content = __import__("json").dumps(body).encode()
    parsed_code, message = FortnoxClient(
        registry.get("fortnox")(connection)).parse_error(response)
    assert parsed_code == code and words in message


def test_rate_limit_key_is_client_and_tenant(connection, settings, make_org):
    def key_of(conn):
        return registry.get("fortnox")(conn).rate_limit_key("/3/invoices/17")

    # Another organization's connection to the same Fortnox company spends the same budget.
    twin = Connection.objects.create(organization=make_org("frost-2"), provider="fortnox",
                                     remote_tenant_id=connection.remote_tenant_id)
    other_tenant = Connection.objects.create(organization=make_org("frost-3"),
                                             provider="fortnox", remote_tenant_id="654321")
    assert key_of(twin) == key_of(connection)
    assert key_of(other_tenant) != key_of(connection)
    ours = key_of(connection)
    for secret in (settings.FORTNOX_CLIENT_ID, settings.FORTNOX_CLIENT_SECRET):
        assert secret not in ours
    settings.FORTNOX_CLIENT_ID = "another-client"  # another integration: another budget
    assert key_of(connection) != ours
