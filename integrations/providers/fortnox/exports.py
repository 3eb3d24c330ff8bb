"""What the `<record_type>.export` operations do: create the Fortnox object, or update it when a
Link exists, and find what an earlier attempt with an unknown outcome left behind. Customers,
projects and employees are here; invoices and quotes in documents.py; time entries and
payslips in payroll.py.

Exactly one remote object per record, without idempotency keys:
- customers get a customer number we choose (`H<id>`), so a retried create hits "number in use"
  (2000637) and is adopted when its `ExternalReference` is ours;
- invoices carry our reference in `ExternalInvoiceReference1`, quotes in `YourReferenceNumber`;
  Fortnox's search matches substrings, so results are compared exactly;
- projects and employees are numbered by us (our project number, our employee number);
- time entries and salary rows have no free reference field: they are matched on every value
  they carry, skipping rows already linked to another record.

A record an export needs (an invoice's customer and project, a time entry's employee) is sent
first, in the same job, when it has no Link yet.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone

from integrations.errors import PermanentError
from integrations.links import find_link, local_record, store_link
from integrations.models import Link
from integrations.providers.base import OperationResult
from integrations.providers.fortnox import checks, mappers
from integrations.providers.fortnox.client import FortnoxClient

KEY = "fortnox"

# record type -> (model in accounting.models, related rows read with it, rows read with it in
# one more query, what people call it)
RECORDS = {
    "customer": ("Customer", (), (), "customer"),
    "project": ("Project", (), (), "project"),
    "employee": ("Employee", (), (), "employee"),
    "invoice": ("Invoice", ("customer", "project"), ("lines",), "invoice"),
    "quote": ("Quote", ("customer", "project"), ("lines",), "quote"),
    "time_entry": ("TimeEntry", ("employee", "project"), (), "time entry"),
    "payslip": ("Payslip", ("employee",), (), "payslip"),
}


# -- shared by every export -------------------------------------------------------------------
def job_record(job, *, validate_with=None):
    """The local record of a job, checked by the provider's validators first (every problem
    at once, nothing sent) when `validate_with` (the provider) is given. Its lines are read
    once (the check and the payload both use them), and it and its related records share the
    job's organization instead of each reading it again."""
    model_name, related, prefetched, label = RECORDS[job.record_type]
    model = apps.get_model("accounting", model_name)
    record = local_record(model.objects.select_related(*related).prefetch_related(*prefetched),
                          job.organization, job.local_id, label=label)
    for owned in (record, *(getattr(record, name) for name in related)):
        if owned is not None and owned.organization_id == job.organization_id:
            owned.organization = job.organization
    if validate_with is not None:
        checks.check(validate_with, job.record_type, record)
    return record


def linked(job):
    """An export of a linked record is an update: repeating it is harmless, so an unknown
    outcome needs no look-up."""
    return find_link(job.connection, job.record_type, job.local_id) is not None


def reference(record_type, record):
    from integrations.engine.jobs import external_reference

    return external_reference(record_type, record.pk, organization=record.organization)


def link_in_passing(connection, record_type, local_id, result):
    """Link a record sent as part of another one's job (e.g. an invoice's customer)."""
    store_link(connection, record_type, local_id, result.remote_id,
               remote_number=result.remote_number,
               data=result.data.get("link_data") or {}, remote_modified_at=timezone.now())


def save_link_data(provider, job, result):
    """on_success: keep what both sides agreed on (for conflicts) or the rows we own."""
    Link.objects.filter(connection=job.connection, record_type=job.record_type,
                        local_id=job.local_id).update(
        data=result.data.get("link_data") or {}, remote_modified_at=timezone.now())


def rebuilt(exc, message):
    return PermanentError(message, status_code=exc.status_code, code=exc.code, raw=exc.raw,
                          raw_text=exc.raw_text)


def ensure_linked(client, connection, record_type, record, upsert):
    """The remote id of a record another one refers to: its link, else sent and linked now."""
    link = find_link(connection, record_type, record.pk)
    if link is not None:
        return link.remote_id
    result = upsert(client, connection, record)
    link_in_passing(connection, record_type, record.pk, result)
    return result.remote_id


# -- customers ----------------------------------------------------------------------------------
def _customer_result(body, customer, reference):
    remote = body.get("Customer") or {}
    number = str(remote.get("CustomerNumber") or mappers.customer_number(customer))
    synced = {"local": mappers.customer_values(customer),
              "remote": mappers.customer_values_from_remote(remote)}
    return OperationResult(remote_id=number, remote_number=number,
                           data={"link_data": synced, "reference": reference})


def upsert_customer(client, customer, *, reference, link):
    if link is not None:
        body = client.send("PUT", f"/3/customers/{link.remote_id}",
                           mappers.customer_payload(customer, number=link.remote_id,
                                                    reference=reference, update=True))
        return _customer_result(body, customer, reference)
    number = mappers.customer_number(customer)
    try:
        body = client.send("POST", "/3/customers",
                           mappers.customer_payload(customer, number=number,
                                                    reference=reference))
    except PermanentError as exc:
        if exc.code != "2000637":
            raise
        existing = (client.get_or_none(f"/3/customers/{number}") or {}).get("Customer")
        if existing and existing.get("ExternalReference") == reference:
            # An earlier attempt created it and we never heard back: adopt and update it.
            body = client.send("PUT", f"/3/customers/{number}",
                               mappers.customer_payload(customer, number=number,
                                                        reference=reference, update=True))
            return _customer_result(body, customer, reference)
        who = f" by '{existing.get('Name')}'" if existing else " (by a deleted customer)"
        raise rebuilt(exc, f"Fortnox customer number {number}, which the hub uses for "
                           f"'{customer.name}', is already taken{who}. Numbers stay reserved "
                           "in Fortnox even after deletion: link the customer to the right "
                           "Fortnox customer in admin (Links), or renumber the one in "
                           "Fortnox.") from None
    return _customer_result(body, customer, reference)


def _upsert_customer_in_passing(client, connection, customer):
    return upsert_customer(client, customer, reference=reference("customer", customer),
                           link=None)


def ensure_customer(client, connection, customer):
    """The Fortnox customer number for a local customer, sending it first if it is new."""
    return ensure_linked(client, connection, "customer", customer, _upsert_customer_in_passing)


def export_customer(provider, job):
    customer = job_record(job, validate_with=provider)
    return upsert_customer(FortnoxClient(provider), customer, reference=job.external_reference,
                           link=find_link(job.connection, "customer", customer.pk))


def find_customer(provider, job):
    if linked(job):
        return None
    customer = job_record(job)
    number = mappers.customer_number(customer)
    remote = (FortnoxClient(provider).get_or_none(f"/3/customers/{number}") or {}).get(
        "Customer")
    if remote and remote.get("ExternalReference") == job.external_reference:
        return _customer_result({"Customer": remote}, customer, job.external_reference)
    return None


# -- projects and employees (numbered by us) ----------------------------------------------------
@dataclass(frozen=True)
class Numbered:
    """A record Fortnox knows by a number we choose (our project number, our employee number).
    A create that finds its number taken updates that object (an earlier attempt's, or the same
    record typed in Fortnox); an unknown outcome is looked up by the number."""

    record_type: str
    path: str
    wrapper: str
    id_field: str
    number: Callable  # local record -> our number
    payload: Callable  # local record -> Fortnox payload

    def upsert(self, client, connection, record):
        link = find_link(connection, self.record_type, record.pk)
        number = link.remote_id if link else self.number(record)
        payload = self.payload(record)
        payload[self.wrapper][self.id_field] = number
        url = f"{self.path}/{number}"
        if link is not None:
            remote = client.send("PUT", url, payload)[self.wrapper]
        else:
            try:
                remote = client.send("POST", self.path, payload)[self.wrapper]
            except PermanentError:
                # Taken by an earlier attempt or typed in Fortnox: ours to update. Otherwise
                # the error stands.
                if client.get_or_none(url) is None:
                    raise
                remote = client.send("PUT", url, payload)[self.wrapper]
        remote_id = str(remote.get(self.id_field) or number)
        return OperationResult(remote_id=remote_id, remote_number=remote_id)

    def ensure(self, client, connection, record):
        """The remote number of a record another one refers to ("" for none)."""
        if record is None:
            return ""
        return ensure_linked(client, connection, self.record_type, record, self.upsert)

    def export(self, provider, job):
        record = job_record(job, validate_with=provider)
        return self.upsert(FortnoxClient(provider), job.connection, record)

    def find(self, provider, job):
        if linked(job):
            return None
        number = self.number(job_record(job))
        remote = FortnoxClient(provider).get_or_none(f"{self.path}/{number}")
        if remote and str((remote.get(self.wrapper) or {}).get(self.id_field)) == number:
            return OperationResult(remote_id=number, remote_number=number)
        return None


PROJECTS = Numbered(
    record_type="project", path="/3/projects", wrapper="Project", id_field="ProjectNumber",
    number=lambda project: project.number,
    payload=lambda project: mappers.project_payload(project, today=timezone.localdate()))
EMPLOYEES = Numbered(
    record_type="employee", path="/3/employees", wrapper="Employee", id_field="EmployeeId",
    number=lambda employee: employee.employee_number, payload=mappers.employee_payload)

ensure_project = PROJECTS.ensure
ensure_employee = EMPLOYEES.ensure
