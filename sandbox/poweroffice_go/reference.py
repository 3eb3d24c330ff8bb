"""The client's reference data, read-only here: VAT codes (SAF-T), general ledger accounts (each
locked to its VAT code, which is what decides an order line's VAT), projects, departments and
payment terms. Lists take Go's filters; each object can be read by id."""

from sandbox.poweroffice_go import store
from sandbox.poweroffice_go.simulator import simulator
from sandbox.poweroffice_go.store import (
    ACCOUNT,
    DEPARTMENT,
    PAYMENT_TERM,
    PROJECT,
    VAT_CODE,
    not_found,
    public,
)


def _changed_filters(request, rows, query, *, created=True):
    rows = store.changed_after(rows, store.stamp_param(
        request, "lastChangedDateTimeOffsetGreaterThan",
        query.get("lastchangeddatetimeoffsetgreaterthan")))
    if created:
        rows = store.changed_after(rows, store.stamp_param(
            request, "createdDateTimeOffsetGreaterThan",
            query.get("createddatetimeoffsetgreaterthan")), field="CreatedDateTimeOffset")
    return rows


def _text_filter(rows, values, field):
    wanted = {value.casefold() for value in store.text_list(values)}
    if not wanted:
        return rows
    return [row for row in rows if (row.get(field) or "").casefold() in wanted]


@simulator.endpoint(methods=("GET",))
def vat_codes(request):
    query = store.params(request)
    rows = store.all_data(request.sandbox_tenant, VAT_CODE)
    active = store.bool_param(request, "isActive", query.get("isactive"))
    if active is not None:
        rows = [row for row in rows if row["IsActive"] == active]
    if not store.bool_param(request, "includeExpired", query.get("includeexpired")):
        today = store.today().isoformat()
        rows = [row for row in rows if not row["ValidTo"] or row["ValidTo"] >= today]
    return store.listing(request, [public(row) for row in rows])


@simulator.endpoint(methods=("GET",))
def accounts(request):
    query = store.params(request)
    rows = store.all_data(request.sandbox_tenant, ACCOUNT)
    accepts = store.number_filter(request, "accountNos", query.get("accountnos"))
    if accepts is not None:
        rows = [row for row in rows if accepts(row["AccountNo"])]
    rows = _text_filter(rows, query.get("agriculturedepartments"), "AgricultureDepartment")
    rows = _changed_filters(request, rows, query, created=False)
    return store.listing(request, [public(row) for row in rows])


@simulator.endpoint(methods=("GET",))
def projects(request):
    query = store.params(request)
    rows = store.all_data(request.sandbox_tenant, PROJECT)
    rows = _text_filter(rows, query.get("projectcodes"), "Code")
    accepts = store.number_filter(request, "customerNos", query.get("customernos"))
    if accepts is not None:
        rows = [row for row in rows if accepts(row.get("CustomerNo"))]
    status = (query.get("status") or "").strip()
    if status:
        rows = [row for row in rows if row.get("ProjectStatus") == status]
    name = (query.get("name") or "").strip().casefold()
    if name:
        rows = [row for row in rows if name in (row.get("Name") or "").casefold()]
    rows = _changed_filters(request, rows, query)
    return store.listing(request, [public(row) for row in rows])


@simulator.endpoint(methods=("GET",))
def departments(request):
    query = store.params(request)
    rows = store.all_data(request.sandbox_tenant, DEPARTMENT)
    rows = _text_filter(rows, query.get("codes"), "Code")
    active = store.bool_param(request, "isActive", query.get("isactive"))
    if active is not None:
        rows = [row for row in rows if row["IsActive"] == active]
    name = (query.get("name") or "").strip().casefold()
    if name:
        rows = [row for row in rows if name in (row.get("Name") or "").casefold()]
    rows = _changed_filters(request, rows, query)
    return store.listing(request, [public(row) for row in rows])


@simulator.endpoint(methods=("GET",))
def payment_terms(request):
    rows = store.all_data(request.sandbox_tenant, PAYMENT_TERM)
    return store.listing(request, [public(row) for row in rows])


def _by_id(kind, label):
    @simulator.endpoint(methods=("GET",))
    def view(request, object_id):
        record = store.find(request.sandbox_tenant, kind, object_id)
        if record is None:
            not_found(request, f"{label} with id = {object_id} not found.")
        return store.one(request, public(record.data))

    return view


account = _by_id(ACCOUNT, "General ledger account")
project = _by_id(PROJECT, "Project")
department = _by_id(DEPARTMENT, "Department")
payment_term = _by_id(PAYMENT_TERM, "Payment term")
vat_code = _by_id(VAT_CODE, "VAT code")
