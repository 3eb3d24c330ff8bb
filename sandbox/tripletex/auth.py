"""Session tokens: `/token/session/:create` from the consumer token (ours, one per integration)
and an employee token (the customer's, made for our application in Tripletex's GUI), then
`>whoAmI` and `DELETE /token/session/{token}`.

- POST with JSON `{consumerToken, employeeToken, expirationDate}` answers 201; the legacy PUT
  with the same three as query parameters answers 200 (both `{value: SessionToken}`). Neither
  needs an Authorization header.
- ASSUMED where Tripletex does not say: the session stops working at 00:00 Oslo time at the
  start of `expirationDate` ("expires at midnight of expirationDate"; we take the earlier
  midnight, so a client renewing before that date works either way), so the date must be after
  today (422 otherwise); an unknown, deactivated or mismatched token pair is a 403 9000;
  test tokens start with "test-" and this sandbox is Tripletex's test environment, so a token
  without the prefix is refused the same way (test and production tokens never mix).
- A session belongs to its employee token: its rate-limit budget and its webhook subscriptions
  are that token's. Deleting the employee token (`_control/employee-tokens`) ends its sessions.
"""

from datetime import datetime, time

from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone

from sandbox.framework import tokens
from sandbox.models import SandboxClient, SandboxRecord, SandboxToken
from sandbox.tripletex import errors, fields, store
from sandbox.tripletex.simulator import TEST_TOKEN_PREFIX, endpoint
from sandbox.tripletex.store import SLUG


def _forbidden(request, detail):
    errors.fail(request, 403, errors.SECURITY, "Ugyldig token.", developer_message=detail)


def create_session(request, consumer_token, employee_token, expiration):
    wrong = [(name, "Må være en tekst.") for name, value in (
        ("consumerToken", consumer_token), ("employeeToken", employee_token),
        ("expirationDate", expiration)) if value is not None and not isinstance(value, str)]
    if wrong:
        errors.mapping(request, wrong)
    missing = [name for name, value in (("consumerToken", consumer_token),
                                        ("employeeToken", employee_token),
                                        ("expirationDate", expiration)) if not value]
    if missing:
        errors.required(request, *missing)
    expires_on = store.parse_date(request, expiration, "expirationDate")
    if expires_on <= store.today():
        errors.invalid(request, ("expirationDate", "Må være etter dagens dato."))
    if not (consumer_token.startswith(TEST_TOKEN_PREFIX)
            and employee_token.startswith(TEST_TOKEN_PREFIX)):
        _forbidden(request, "Only test tokens (prefixed 'test-') work in the test environment.")
    consumer = SandboxClient.objects.filter(provider=SLUG, client_secret=consumer_token).first()
    if consumer is None:
        _forbidden(request, "Unknown consumer token.")
    employee = (SandboxRecord.objects.select_related("tenant")
                .filter(provider=SLUG, kind="EmployeeToken", data__token=employee_token).first())
    if (employee is None or not employee.data.get("_active", True)
            or employee.data.get("_consumer") != consumer.client_id):
        _forbidden(request, "The employee token is unknown, deactivated or was not made for "
                            "this consumer token.")
    expires_at = datetime.combine(expires_on, time.min, tzinfo=store.OSLO)
    session = SandboxToken.objects.create(
        provider=SLUG, kind=SandboxToken.ACCESS, tenant=employee.tenant,
        client_id=consumer.client_id, scope=f"employeeToken:{employee.remote_id}",
        value=tokens.new_token_value(), expires_at=expires_at)
    request.sandbox_token, request.sandbox_tenant = session, employee.tenant
    base = fields.api_base(request)
    if employee.tenant.data.get("apiBase") != base:  # for webhooks sent from the accountant page
        employee.tenant.data["apiBase"] = base
        employee.tenant.save(update_fields=["data"])
    return {"id": session.pk, "version": 0, "consumerToken": {"id": consumer.pk},
            "employeeToken": store.ref(employee), "expirationDate": expires_on.isoformat(),
            "token": session.value}


@endpoint(methods=("POST", "PUT"), auth=False, rate_limit=None)
def session_create(request):
    if request.method == "PUT":
        params = request.GET
        data = create_session(request, params.get("consumerToken"),
                              params.get("employeeToken"), params.get("expirationDate"))
        status = 200
    else:
        body = fields.read_json(request)
        if not isinstance(body, dict):
            errors.bad_json(request, "Expected a JSON object (PostSessionTokenBody).")
        unknown = [(name, f"Feltet '{name}' finnes ikke i PostSessionTokenBody.")
                   for name in body if name not in ("consumerToken", "employeeToken",
                                                    "expirationDate")]
        if unknown:
            errors.mapping(request, unknown)
        data = create_session(request, body.get("consumerToken"), body.get("employeeToken"),
                              body.get("expirationDate"))
        status = 201
    return fields.value_response(request, "SessionToken", data, status=status)


@endpoint()
def who_am_i(request):
    tenant = request.sandbox_tenant
    employee_token = store.find(tenant, "EmployeeToken",
                                request.sandbox_token.scope.removeprefix("employeeToken:"))
    employee_id = store.ref_id(employee_token.data.get("employee")) or 0
    company_id = int(tenant.external_id)
    data = {"employeeId": employee_id, "actualEmployeeId": employee_id,
            "employee": {"id": employee_id}, "companyId": company_id,
            "company": {"id": company_id}, "language": "no", "loggedInWithConnect": False,
            "employeeIsProxy": False}
    return fields.value_response(request, "LoggedInUserInfo", data)


@endpoint(methods=("DELETE",))
def session_delete(request, token):
    """Deletes a session of the caller's employee token (its own included); another's, or one
    that does not exist, is a 404."""
    current = request.sandbox_token
    deleted = SandboxToken.objects.filter(
        Q(value=token), provider=SLUG, kind=SandboxToken.ACCESS, tenant=current.tenant,
        scope=current.scope, revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    if not deleted:
        errors.not_found(request, "Sesjonen")
    return HttpResponse(status=204)
