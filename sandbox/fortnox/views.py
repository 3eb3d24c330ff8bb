"""Fortnox's REST endpoints under `3/`: for every resource the list/create endpoint and the
read/update endpoint of one entity, the document actions (`PUT .../bookkeep`, `/cancel`,
`/credit`), and the company's information and settings.

Every endpoint runs through `simulator.endpoint` (bearer token, faults, the 25-per-5-s limit),
then checks the token's scope for the resource (2000663 without it). Bodies must be JSON in
the resource's wrapper (`{"Invoice": {...}}`) with only the fields the spec names (2001399).
"""

from django.db import transaction
from django.http import HttpResponse, JsonResponse

from sandbox.fortnox import documents, errors, resources, store
from sandbox.fortnox.simulator import simulator
from sandbox.framework.jsonbody import strict_json

CUSTOMERS = resources.Customers()
ARTICLES = resources.Articles()
ACCOUNTS = resources.Accounts()
PROJECTS = resources.Projects()
EMPLOYEES = resources.Employees()
SALARY_TRANSACTIONS = resources.SalaryTransactions()
ATTENDANCE_TRANSACTIONS = resources.AttendanceTransactions()
ABSENCE_TRANSACTIONS = resources.AbsenceTransactions()
INVOICES = documents.Invoices()
OFFERS = documents.Offers()
INVOICE_PAYMENTS = documents.InvoicePayments()

RESOURCES = [CUSTOMERS, ARTICLES, ACCOUNTS, PROJECTS, EMPLOYEES, SALARY_TRANSACTIONS,
             ATTENDANCE_TRANSACTIONS, ABSENCE_TRANSACTIONS, INVOICES, OFFERS, INVOICE_PAYMENTS]
BY_PATH = {resource.path: resource for resource in RESOURCES}


def answer(body, status=200):
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def api_root(request):
    """This simulator's base URL as the client reached it (Fortnox's is
    https://api.fortnox.se), for `@url`."""
    marker = f"/{simulator.slug}/"
    index = request.path.find(marker)
    return request.build_absolute_uri(request.path[:index + len(marker) - 1])


def require_scope(request, scope):
    if not request.sandbox_token.has_scope(scope):
        errors.missing_scope(scope)


def read_body(request, resource):
    """The entity inside the resource's wrapper, typed; or Fortnox's refusal."""
    if request.content_type != "application/json":
        errors.bad_request(errors.INVALID_CONTENT_TYPE, "Invalid content type")
    body = strict_json(request, {resource.single: resource.payload.spec},
                       rejected=errors.body_rejected)
    data = body.get(resource.single)
    if not isinstance(data, dict) or not data:
        errors.bad_request(errors.EMPTY_OR_WRONG_BODY, "Ingen eller felaktig typ av data.")
    return store.coerce(resource.payload, data)


def list_body(request, resource):
    tenant = request.sandbox_tenant
    params = {name.lower(): value for name, value in request.GET.items()}
    records = store.records(tenant, resource.kind)
    if "lastmodified" in params:
        if not resource.lastmodified:
            errors.invalid_parameter("lastmodified")
        records = records.filter(
            modified_at__gte=store.parse_lastmodified(params["lastmodified"]))
    page, meta = store.paginate(request, resource.select(list(records), params))
    root = api_root(request)
    return {"MetaInformation": meta,
            resource.plural: [resource.list_item(root, record) for record in page]}


def collection_view(resource):
    """GET `3/<path>` (list) and POST `3/<path>` (create)."""

    def collection(request):
        require_scope(request, resource.scope)
        if request.method == "GET":
            return answer(list_body(request, resource))
        data = read_body(request, resource)
        record = resource.create(request.sandbox_tenant, data)
        return answer({resource.single: resource.output(api_root(request), record)}, 201)

    collection.__name__ = f"{resource.kind}_collection"
    return simulator.endpoint(methods=("GET", "POST"))(collection)


def item_view(resource):
    """GET, PUT (and DELETE where Fortnox has it) `3/<path>/{id}`."""

    def item(request, key):
        require_scope(request, resource.scope)
        tenant = request.sandbox_tenant
        what = f"{resource.what} {key}"
        if request.method == "GET":
            record = store.get(tenant, resource.kind, key, what)
        elif request.method == "DELETE":
            store.get(tenant, resource.kind, key, what).delete()
            return HttpResponse(status=204)
        else:
            data = read_body(request, resource)
            with transaction.atomic():
                record = store.get(tenant, resource.kind, key, what, lock=True)
                resource.update(tenant, record, data)
        return answer({resource.single: resource.output(api_root(request), record)})

    item.__name__ = f"{resource.kind}_item"
    return simulator.endpoint(methods=resource.item_methods)(item)


def action_view(resource, action):
    """PUT `3/<path>/{id}/<action>`: no body, answers with the entity."""

    def act(request, key):
        require_scope(request, resource.scope)
        tenant = request.sandbox_tenant
        with transaction.atomic():
            record = store.get(tenant, resource.kind, key, f"{resource.what} {key}", lock=True)
            record = getattr(resource, action)(tenant, record)
        return answer({resource.single: resource.output(api_root(request), record)})

    act.__name__ = f"{resource.kind}_{action}"
    return simulator.endpoint(methods=("PUT",))(act)


@simulator.endpoint(methods=("GET",))
def absences_of_employee_day_and_code(request, employee_id, day, code):
    """GET `3/absencetransactions/{EmployeeId}/{Date}/{Code}` (no paging in the spec)."""
    resource = ABSENCE_TRANSACTIONS
    require_scope(request, resource.scope)
    found = resource.of_employee_day_and_code(request.sandbox_tenant, employee_id, day, code)
    root = api_root(request)
    return answer({resource.plural: [resource.list_item(root, record) for record in found]})


@simulator.endpoint(methods=("GET",))
def company_information(request):
    require_scope(request, "companyinformation")
    tenant = request.sandbox_tenant
    info = dict(tenant.data.get("CompanyInformation", {}))
    info.setdefault("CompanyName", tenant.name)
    tenant_id = tenant.external_id
    info["DatabaseNumber"] = int(tenant_id) if tenant_id.isdigit() else tenant_id
    return answer({"CompanyInformation": info})


@simulator.endpoint(methods=("GET",))
def predefined_accounts(request):
    require_scope(request, "settings")
    root = api_root(request)
    accounts = request.sandbox_tenant.data.get("PredefinedAccounts", {})
    return answer({"PreDefinedAccounts": [
        {"@url": f"{root}/3/predefinedaccounts/{name}", "Name": name, "Account": number}
        for name, number in sorted(accounts.items())]})


@simulator.endpoint(methods=("GET",))
def locked_period(request):
    require_scope(request, "settings")
    return answer({"LockedPeriod": {
        "EndDate": documents.locked_until(request.sandbox_tenant) or None}})
