"""Test-only simulators built on the sandbox framework, the way a provider package will be:
a `Simulator`, OAuth views, API endpoints on `SandboxRecord`, an accountant book.

Four of them, mounted by tests/sandbox/urls.py:
- `fake`: Fortnox-shaped errors, no rate limit, so tests can send as many requests as they like;
- `fake_po`, `fake_fortnox`, `fake_visma`: the real providers' error shapes and rate limits
  (Visma's lowered to 5 per minute so a test need not send 601 requests).
"""

from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.http import JsonResponse
from django.urls import path

from sandbox.fortnox import errors as fortnox_errors
from sandbox.framework.accountant import AccountantBook, AccountantInvoice, PaymentRejected
from sandbox.framework.jsonbody import strict_json
from sandbox.framework.oauth import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    REFRESH_TOKEN,
    ConsentView,
    OAuthPolicy,
    RevokeView,
    TokenView,
)
from sandbox.framework.ratelimit import (
    RateLimit,
    by_client_and_endpoint,
    by_client_and_tenant,
    by_header,
)
from sandbox.framework.simulator import Simulator
from sandbox.models import SandboxRecord, SandboxSequence
from sandbox.poweroffice_go import errors as pogo_errors
from sandbox.visma_eaccounting import errors as visma_errors

INVOICE = "invoice"
INVOICE_FIELDS = {
    "Customer": None,
    "Total": None,
    "Reference": None,
    "Rows": {"Text": None, "Amount": None},
}


def invoice_json(record):
    return {"Number": record.remote_id, **record.data}


class InvoiceBook(AccountantBook):
    """Invoices are `SandboxRecord`s of kind "invoice" with `Total` and `Payments`."""

    def __init__(self, provider):
        self.provider = provider

    def list_invoices(self, tenant):
        return [
            AccountantInvoice(
                invoice_id=record.remote_id,
                number=record.remote_id,
                customer=record.data.get("Customer", ""),
                total=Decimal(str(record.data["Total"])),
                paid=sum((Decimal(p["Amount"]) for p in record.data.get("Payments", [])),
                         Decimal("0")),
                currency="NOK",
                issued_on=record.created_at.date(),
                due_on=record.created_at.date() + timedelta(days=14),
            )
            for record in SandboxRecord.objects.of(tenant, INVOICE)
        ]

    def register_payment(self, tenant, invoice_id, amount, paid_on):
        with transaction.atomic():
            record = (SandboxRecord.objects.of(tenant, INVOICE).select_for_update()
                      .filter(remote_id=invoice_id).first())
            if record is None:
                raise PaymentRejected(f"Invoice {invoice_id} does not exist.")
            payments = record.data.setdefault("Payments", [])
            paid = sum((Decimal(p["Amount"]) for p in payments), Decimal("0"))
            if amount > Decimal(str(record.data["Total"])) - paid:
                raise PaymentRejected("The payment is larger than what is left to pay.")
            payments.append({"Amount": str(amount), "Date": paid_on.isoformat()})
            record.save()


def build(slug, name, *, unauthorized, server_error, rate_limited, body_rejected,
          rate_limit=None, policy=None):
    policy = policy or OAuthPolicy(refresh_ttl=45 * 24 * 3600,
                                   grant_types=(AUTHORIZATION_CODE, REFRESH_TOKEN,
                                                CLIENT_CREDENTIALS))
    simulator = Simulator(
        slug, name, unauthorized=unauthorized, server_error=server_error,
        rate_limited=rate_limited, rate_limit=rate_limit, accountant=InvoiceBook(slug),
        description=f"test double with {name}'s error shapes",
    )

    @simulator.endpoint(methods=("GET", "POST"))
    def invoices(request):
        tenant = request.sandbox_tenant
        if request.method == "GET":
            records = SandboxRecord.objects.of(tenant, INVOICE)
            return JsonResponse({"Invoices": [invoice_json(r) for r in records]})
        data = strict_json(request, INVOICE_FIELDS, rejected=body_rejected)
        number = SandboxSequence.next_value(tenant, INVOICE, start=1001)
        record = SandboxRecord.objects.create(tenant=tenant, kind=INVOICE,
                                              remote_id=str(number), data=data)
        return JsonResponse({"Invoice": invoice_json(record)}, status=201)

    @simulator.endpoint(methods=("GET",))
    def me(request):
        return JsonResponse({"tenant": request.sandbox_tenant.external_id,
                             "client_id": request.sandbox_token.client_id,
                             "scope": request.sandbox_token.scope})

    @simulator.endpoint(methods=("GET",), auth=False)
    def ping(request):
        return JsonResponse({"pong": True})

    simulator.urls = [
        path("oauth/authorize", ConsentView.as_view(simulator=simulator, policy=policy),
             name="authorize"),
        path("oauth/token", simulator.endpoint(methods=("POST",), auth=False)(
            TokenView.as_view(simulator=simulator, policy=policy)), name="token"),
        path("oauth/revoke", simulator.endpoint(methods=("POST",), auth=False)(
            RevokeView.as_view(simulator=simulator, policy=policy)), name="revoke"),
        path("api/invoices", invoices, name="invoices"),
        path("api/me", me, name="me"),
        path("api/ping", ping, name="ping"),
    ]
    return simulator


FAKE = build(
    "fake", "Fake Books",
    unauthorized=fortnox_errors.unauthorized, server_error=fortnox_errors.server_error,
    rate_limited=fortnox_errors.rate_limited, body_rejected=fortnox_errors.body_rejected_shape,
)
FAKE_POWEROFFICE = build(
    "fake_po", "Fake PowerOffice Go",
    unauthorized=pogo_errors.unauthorized, server_error=pogo_errors.server_error,
    rate_limited=pogo_errors.rate_limited, body_rejected=pogo_errors.body_rejected,
    rate_limit=RateLimit(limit=10, window_seconds=1,
                         key=by_header("Ocp-Apim-Subscription-Key",
                                       query_param="subscription-key")),
)
FAKE_FORTNOX = build(
    "fake_fortnox", "Fake Fortnox",
    unauthorized=fortnox_errors.unauthorized, server_error=fortnox_errors.server_error,
    rate_limited=fortnox_errors.rate_limited, body_rejected=fortnox_errors.body_rejected_shape,
    rate_limit=RateLimit(limit=25, window_seconds=5, key=by_client_and_tenant),
)
FAKE_VISMA = build(
    "fake_visma", "Fake Visma eAccounting",
    unauthorized=visma_errors.unauthorized, server_error=visma_errors.server_error,
    rate_limited=partial(visma_errors.rate_limited, limit=5),
    body_rejected=visma_errors.body_rejected,
    rate_limit=RateLimit(limit=5, window_seconds=60, key=by_client_and_endpoint),
    policy=OAuthPolicy(refresh_ttl=30 * 24 * 3600, code_ttl=300, rotate_refresh_tokens=False),
)

SIMULATORS = [FAKE, FAKE_POWEROFFICE, FAKE_FORTNOX, FAKE_VISMA]
