"""The seven export operations through the engine, against the fake Fortnox: create or update,
exactly one remote object after an unknown outcome, and errors said so a person can act."""

import pytest

from integrations.models import Connection, Link, SyncJob, SyncLogEntry
from integrations.providers import registry
from integrations.providers.fortnox.client import FortnoxClient
from tests.integrations.fortnox.conftest import run

pytestmark = pytest.mark.django_db
S = SyncJob.Status


def _link(connection, record_type, obj):
    return Link.objects.get(connection=connection, record_type=record_type, local_id=str(obj.pk))


def test_customer_create_then_update(connection, fortnox, customer):
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "done", job.last_error
    number = f"H{customer.pk}"
    assert _link(connection, "customer", customer).remote_id == number
    assert fortnox.data["customers"][number]["ExternalReference"] == job.external_reference
    customer.city = "Solna"
    customer.save()
    outcome, _ = run(connection, "customer.export", customer, variant="v2")
    assert outcome == "done"
    assert [c[0] for c in fortnox.calls(prefix="/3/customers")] == ["POST", "PUT"]
    assert fortnox.data["customers"][number]["City"] == "Solna"
    assert len(fortnox.data["customers"]) == 1


def test_customer_lost_response_is_adopted_not_doubled(connection, fortnox, customer):
    fortnox.fault("POST", "/3/customers", "lost")
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "unknown" and job.outcome_uncertain
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    from integrations.engine import run_job

    assert run_job(job.pk) == "adopted"
    assert len(fortnox.data["customers"]) == 1
    assert _link(connection, "customer", customer).remote_id == f"H{customer.pk}"


def test_customer_number_in_use_by_someone_else(connection, fortnox, customer):
    fortnox.add("customers", {"CustomerNumber": f"H{customer.pk}", "Name": "Annan kund",
                              "ExternalReference": ""})
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "failed"
    assert "already taken by 'Annan kund'" in job.last_error
    assert job.last_error_code == "2000637"
    entry = SyncLogEntry.objects.get(job=job, status="failed")
    assert "2000637" in entry.raw_response and "Kundnummer" in entry.raw_response  # verbatim


def test_retry_with_number_in_use_and_our_reference_updates_it(connection, fortnox, customer):
    """A create whose answer was lost but not flagged uncertain (e.g. a crash after sending)."""
    from integrations.engine.jobs import external_reference

    reference = external_reference("customer", customer.pk, organization=customer.organization)
    fortnox.add("customers", {"CustomerNumber": f"H{customer.pk}", "Name": "Old",
                              "ExternalReference": reference})
    outcome, _ = run(connection, "customer.export", customer)
    assert outcome == "done"
    assert fortnox.data["customers"][f"H{customer.pk}"]["Name"] == "Brf Solrosen"
    assert len(fortnox.data["customers"]) == 1


def test_invoice_sends_customer_and_project_first(connection, fortnox, invoice):
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "done", job.last_error
    remote = fortnox.data["invoices"]["1"]
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


def test_invoice_update_keeps_row_ids(connection, fortnox, invoice):
    run(connection, "invoice.export", invoice)
    invoice.lines.filter(position=1).delete()
    invoice.your_reference = "Stina Ek"
    invoice.save()
    outcome, job = run(connection, "invoice.export", invoice, variant="edit-1")
    assert outcome == "done", job.last_error
    put = fortnox.calls("PUT", "/3/invoices/1")[-1][3]["Invoice"]
    assert put["YourReference"] == "Stina Ek"
    assert [row.get("RowId") for row in put["InvoiceRows"]] == [100]
    assert len(fortnox.data["invoices"]) == 1


def test_booked_invoice_is_not_changed(connection, fortnox, invoice):
    run(connection, "invoice.export", invoice)
    fortnox.touch("invoices", "1", Booked=True)
    outcome, job = run(connection, "invoice.export", invoice, variant="edit-1")
    assert outcome == "failed"
    assert "booked in Fortnox" in job.last_error and "Credit it" in job.last_error
    assert not fortnox.calls("PUT", "/3/invoices/1")


def test_cancelled_invoice_is_cancelled_in_fortnox(connection, fortnox, invoice):
    run(connection, "invoice.export", invoice)
    invoice.status = "cancelled"
    invoice.save()
    outcome, _ = run(connection, "invoice.export", invoice, variant="cancel")
    assert outcome == "done"
    assert fortnox.calls("PUT", "/3/invoices/1/cancel")
    assert fortnox.data["invoices"]["1"]["Cancelled"] is True


def test_invoice_found_by_exact_reference_after_unknown_outcome(connection, fortnox, invoice):
    """Fortnox's search matches substrings: hub-1-invoice-1 also finds hub-1-invoice-12."""
    from integrations.engine import run_job
    from integrations.engine.jobs import external_reference

    reference = external_reference("invoice", invoice.pk, organization=invoice.organization)
    fortnox.add("invoices", {"CustomerNumber": "X", "ExternalInvoiceReference1": reference + "2",
                             "InvoiceRows": []})
    fortnox.fault("POST", "/3/invoices", "lost")
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "unknown"
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "adopted"
    assert len(fortnox.data["invoices"]) == 2  # the other invoice and ours, no twin
    assert _link(connection, "invoice", invoice).remote_id == "2"


def test_find_existing_ignores_substring_matches(connection, fortnox, invoice):
    from integrations.engine import run_job
    from integrations.engine.jobs import external_reference

    reference = external_reference("invoice", invoice.pk, organization=invoice.organization)
    fortnox.add("invoices", {"CustomerNumber": "X", "ExternalInvoiceReference1": reference + "0",
                             "InvoiceRows": []})
    job, _ = __import__("integrations.engine", fromlist=["enqueue_job"]).enqueue_job(
        connection=connection, operation="invoice.export", record_type="invoice",
        local_id=invoice.pk)
    SyncJob.objects.filter(pk=job.pk).update(outcome_uncertain=True)
    assert run_job(job.pk) == "done"  # nothing exact found, so it was created
    assert fortnox.calls("POST", "/3/invoices")
    assert _link(connection, "invoice", invoice).remote_id == "2"


def test_unknown_account_says_which_mapping_to_fix(connection, fortnox, invoice):
    fortnox.fault("POST", "/3/invoices", "2001304")
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "failed"
    assert "no such account" in job.last_error
    assert "/admin/integrations/accountmapping/" in job.last_error
    assert "'material'" in job.last_error and "'service'" in job.last_error
    entry = SyncLogEntry.objects.get(job=job, status="failed")
    assert entry.details["provider_response"]["ErrorInformation"]["code"] == 2001304


def test_locked_period_is_named(connection, fortnox, invoice):
    fortnox.locked_until = "2026-11-30"
    fortnox.fault("POST", "/3/invoices", "2000123")
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "failed"
    assert "period up to 2026-11-30 is locked in Fortnox" in job.last_error


def test_missing_mapping_blocks_before_anything_is_sent(connection, fortnox, invoice):
    from integrations.models import AccountMapping

    AccountMapping.objects.filter(category="material").delete()
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "failed"
    assert "sales account for the line category 'material'" in job.last_error
    assert "/admin/integrations/accountmapping/add/?provider=fortnox&category=material" in (
        job.last_error)
    assert not fortnox.calls("POST", "/3/invoices")
    problems = registry.get("fortnox")(connection).validate_export("invoice", invoice)
    assert [p.field for p in problems] == ["mapping.account.material"]


def test_quote_create_update_and_exact_find(connection, fortnox, quote):
    from integrations.engine import run_job

    fortnox.fault("POST", "/3/offers", "lost")
    outcome, job = run(connection, "quote.export", quote)
    assert outcome == "unknown"
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "adopted"
    assert len(fortnox.data["offers"]) == 1
    offer = fortnox.data["offers"]["1"]
    assert offer["YourReferenceNumber"] == job.external_reference
    quote.your_reference = "Stina"
    quote.save()
    assert run(connection, "quote.export", quote, variant="2")[0] == "done"
    assert fortnox.data["offers"]["1"]["YourReference"] == "Stina"


def test_project_and_employee_are_numbered_by_us(connection, fortnox, project, employee):
    assert run(connection, "project.export", project)[0] == "done"
    assert run(connection, "employee.export", employee)[0] == "done"
    assert "P-2026-07" in fortnox.data["projects"] and "17" in fortnox.data["employees"]
    project.name = "Stambyte etapp 2"
    project.save()
    assert run(connection, "project.export", project, variant="2")[0] == "done"
    assert fortnox.data["projects"]["P-2026-07"]["Description"] == "Stambyte etapp 2"
    assert len(fortnox.calls("POST", "/3/projects")) == 1


def test_employee_typed_in_fortnox_is_adopted(connection, fortnox, employee):
    fortnox.add("employees", {"EmployeeId": "17", "FirstName": "S", "LastName": "S",
                              "Email": "x@y.se"})
    outcome, _ = run(connection, "employee.export", employee)
    assert outcome == "done"
    assert fortnox.data["employees"]["17"]["FirstName"] == "Sven"


def test_time_entry_and_its_exact_match(connection, fortnox, time_entry):
    from integrations.engine import run_job

    fortnox.add("attendancetransactions", {"EmployeeId": "17", "CauseCode": "ARB",
                                           "Date": "2026-11-03", "Hours": "7.0",
                                           "Project": "P-2026-07"})
    fortnox.fault("POST", "/3/attendancetransactions", "lost")
    outcome, job = run(connection, "time_entry.export", time_entry)
    assert outcome == "unknown"
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "adopted"
    assert len(fortnox.data["attendancetransactions"]) == 2
    assert _link(connection, "time_entry", time_entry).remote_id == "2"  # not the 7.0 h row
    assert _link(connection, "employee", time_entry.employee).remote_id == "17"


def test_payslip_half_sent_is_completed_not_doubled(connection, fortnox, payslip):
    """The first line goes through, the second meets a 429: the retry must not repeat the
    first (no reference field exists, so rows are matched on every value they carry)."""
    from integrations.engine import run_job

    fortnox.fault("POST", "/3/salarytransactions", "429", after=1)
    outcome, job = run(connection, "payslip.export", payslip)
    assert outcome == "retry"
    assert len(fortnox.data["salarytransactions"]) == 1
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    assert run_job(job.pk) == "done"
    assert sorted(r["SalaryCode"] for r in fortnox.data["salarytransactions"].values()) == [
        "11", "310"]
    assert len(fortnox.calls("POST", "/3/salarytransactions")) == 3  # 1 ok, 1 429, 1 ok
    assert sorted(_link(connection, "payslip", payslip).data["rows"]) == ["1", "2"]


def test_payslip_update_puts_owned_rows_and_deletes_extra(connection, fortnox, payslip):
    run(connection, "payslip.export", payslip)
    rows = _link(connection, "payslip", payslip).data["rows"]
    payslip.lines.filter(pay_type="overtime").delete()
    outcome, _ = run(connection, "payslip.export", payslip, variant="2")
    assert outcome == "done"
    assert fortnox.calls("PUT", f"/3/salarytransactions/{rows[0]}")
    assert fortnox.calls("DELETE", f"/3/salarytransactions/{rows[1]}")
    assert list(fortnox.data["salarytransactions"]) == [rows[0]]


def test_unmapped_pay_type_links_to_the_mapping(connection, fortnox, payslip):
    payslip.lines.create(pay_type="ob_evening", quantity=2, unit_amount=50)
    outcome, job = run(connection, "payslip.export", payslip)
    assert outcome == "failed"
    assert "salary code for the pay type 'ob_evening'" in job.last_error
    assert "/admin/integrations/paytypemapping/add/?provider=fortnox&pay_type=ob_evening" in (
        job.last_error)


def test_expired_access_token_403_refreshes_once_and_retries(connection, fortnox, customer):
    fortnox.access_token = "at-rotated-early"  # Fortnox no longer takes at-0
    fortnox.refresh_token = "rt-0"
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "done", job.last_error
    assert fortnox.token_calls == 1
    connection.refresh_from_db()
    assert connection.credentials["refresh_token"] == "rt-1"


def test_paging_reads_every_page_with_the_largest_page_size(connection, fortnox):
    for n in range(1, 1203):
        fortnox.data["accounts"][str(n)] = {"Number": n, "Description": f"Konto {n}",
                                            "Active": n != 5, "VATCode": "MP1" if n == 3 else ""}
    provider = registry.get("fortnox")(connection)
    accounts = provider.list_accounts()
    assert len(accounts) == 1201 and accounts[0] == {"number": "1", "name": "Konto 1",
                                                      "vat_code": ""}
    assert set(fortnox.page_size_seen) == {500}
    assert len(fortnox.calls("GET", "/3/accounts")) == 3
    assert {c["code"] for c in provider.list_vat_codes()} == {"MP1", "MP2", "MP3", "MF"}


def test_test_connection_reports_the_company(connection, fortnox):
    info = registry.get("fortnox")(connection).test_connection()
    assert info["company_name"] == "Frost Bygg AB" and info["tenant_id"] == "123456"


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
