"""Visma's identity server and eAccounting API played with `responses` at fake hosts, keeping
state (fact sheet visma-eaccounting.md): refresh tokens that rotate and work once, revocation,
customers with `$filter`, articles, drafts converted with the totals guard, invoices listed by
`modifiedSinceUtc`, `Meta` paging with `ServerTimeUtc`, Visma's error envelope. Every body the
client sends is validated against the published spec (unknown properties forbidden).

Flows against a Visma that behaves fully run on the simulator (test_end_to_end.py)."""

import base64
import itertools
import json
import re
import time
import uuid
from decimal import Decimal
from urllib.parse import unquote, urlsplit

from django.utils import timezone

from tests.integrations.provider_edge import ProviderEdge
from tests.integrations.visma_eaccounting import spec

API = "https://eaccountingapi.visma.test"
IDENTITY = "https://identity.visma.test"
CLIENT_ID = "visma-client-c0ntract"
CLIENT_SECRET = "visma-secret-c0ntract-5ecret"
CUSTOMER_ID = "11111111-2222-4333-8444-555566667777"
GUID = r"[0-9a-fA-F-]{36}"


def jwt(customer_id, n, scope="ea:api ea:sales ea:accounting_readonly offline_access"):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return ".".join([part({"alg": "RS256"}),
                     part({"customer_id": customer_id, "scope": scope.split(), "n": n}),
                     "sig"])


def error(status, code, message, errors=None):
    body = {"ErrorCode": code, "DeveloperErrorMessage": message,
            "ErrorId": str(uuid.uuid4())}
    if errors:
        body["Errors"] = errors
    return status, body


class FakeVisma(ProviderEdge):
    token_endpoint = ("POST", r"/connect/token$")
    create_endpoint = ("POST", r"/v2/customers$")
    revoke_endpoint = ("POST", r"/connect/revocation$")
    refresh_token = None  # kept on the grant, not the connection (see test_identity.py)

    def __init__(self, rsps, *, customer_id=CUSTOMER_ID):
        super().__init__(rsps)
        self.customer_id = customer_id
        self.access_tokens, self.refresh_tokens = set(), set()
        self.issued_refresh = None
        self.serial = itertools.count(1)
        self.customers, self.articles, self.drafts, self.invoices = {}, {}, {}, {}
        self.created = []
        self.granted_scope = "ea:api ea:sales ea:accounting_readonly offline_access"
        self.vat_rate = Decimal("25")  # the articles' coding rate (the guard compares)
        self.convert_bodies, self.sent = [], []
        self.lose_next = set()  # paths whose next POST is stored, then times out
        self.terms_id, self.unit_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.codings = [{"Id": str(uuid.uuid4()), "Name": "Tjänster 25 %", "IsActive": True,
                         "VatRatePercent": 0.25,
                         "DomesticSalesSubjectToVatAccountNumber": 3041},
                        {"Id": str(uuid.uuid4()), "Name": "Varor 25 %", "IsActive": True,
                         "VatRatePercent": 0.25,
                         "DomesticSalesSubjectToVatAccountNumber": 3001}]
        self.serve("POST", f"{IDENTITY}/connect/token", self._token)
        self.serve("POST", f"{IDENTITY}/connect/revocation", self._revoke)
        api = re.escape(API)
        routes = [
            ("GET", "/v2/companysettings", lambda r: (200, {"Name": "Contract Bygg AB",
                                                          "CorporateIdentityNumber": "5566"})),
            ("GET", "/v2/termsofpayments", lambda r: self._page(r, [{
                "Id": self.terms_id, "NumberOfDays": 30, "TermsOfPaymentTypeId": 0,
                "AvailableForSales": True}])),
            ("GET", "/v2/units", lambda r: self._page(r, [{"Id": self.unit_id, "Code": "tim"}])),
            ("GET", "/v2/vatcodes", lambda r: self._page(r, [
                {"Id": str(uuid.uuid4()), "Code": "10", "VatRate": 0.25,
                 "Description": "Utgående moms 25 %"}])),
            ("GET", "/v2/articleaccountcodings", lambda r: self._page(r, self.codings)),
            ("GET", "/v2/customers", lambda r: self._list(r, self.customers, "ChangedUtc")),
            ("POST", "/v2/customers", self._create_customer),
            ("GET", f"/v2/customers/{GUID}", lambda r: self._one(r, self.customers)),
            ("PUT", f"/v2/customers/{GUID}", self._put_customer),
            ("GET", "/v2/articles", lambda r: self._list(r, self.articles, "ChangedUtc")),
            ("POST", "/v2/articles", self._create_article),
            ("GET", "/v2/customerinvoicedrafts", lambda r: self._list(r, self.drafts, None)),
            ("POST", "/v2/customerinvoicedrafts", self._create_draft),
            ("DELETE", f"/v2/customerinvoicedrafts/{GUID}", self._delete_draft),
            ("POST", f"/v2/customerinvoicedrafts/{GUID}/convert", self._convert),
            ("GET", "/v2/customerinvoices", lambda r: self._list(r, self.invoices,
                                                                "ModifiedUtc")),
            ("GET", f"/v2/customerinvoices/{GUID}", lambda r: self._one(r, self.invoices)),
        ]
        for method, path, handler in routes:
            self.serve(method, re.compile(rf"{api}{path}(\?.*)?$"), self._authorized(handler))

    # -- the cases' hooks -------------------------------------------------------------------
    def remote_ids(self):
        return list(self.created)

    def approval(self, state):
        return {"code": "good-code", "state": state}

    def grant(self, access_token, refresh_token):
        with self.lock:
            self.access_tokens.add(access_token)
            self.refresh_tokens.add(refresh_token)
            self.issued_refresh = refresh_token

    # -- identity server --------------------------------------------------------------------
    def _our_client(self, request):
        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        try:
            return base64.b64decode(basic).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"
        except ValueError:
            return False

    def _token(self, request):
        form = self.form(request)
        if not self._our_client(request):
            return 400, {"error": "invalid_client"}
        grant_type = form.get("grant_type")
        with self.lock:
            if grant_type == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(form["refresh_token"])  # one-time: rotated
            elif not (grant_type == "authorization_code" and form.get("code") == "good-code"):
                return 400, {"error": "invalid_grant"}
            n = next(self.serial)
        time.sleep(0.1)  # long enough that unserialised refreshes would overlap
        access, refresh = jwt(self.customer_id, n), f"vi-rt-{n}"
        self.grant(access, refresh)
        return 200, {"access_token": access, "refresh_token": refresh, "expires_in": 3600,
                     "token_type": "Bearer", "scope": self.granted_scope}

    def _revoke(self, request):
        form = self.form(request)
        if not self._our_client(request):
            return 400, {"error": "invalid_client"}
        with self.lock:
            self.refresh_tokens.discard(form.get("token"))
        return 200, ""

    def _authorized(self, handler):
        def check(request):
            if self.bearer(request) not in self.access_tokens:
                return error(401, 4005, "AuthorizationException - Authorization has been "
                                        "denied for this request.")
            if request.method in ("POST", "PUT") and request.body:
                path = urlsplit(request.url).path
                template = re.sub(GUID, "{id}", path)
                template = {"/v2/customers/{id}": "/v2/customers/{customerId}",
                            "/v2/customerinvoicedrafts/{id}/convert":
                                "/v2/customerinvoicedrafts/{customerInvoiceDraftId}/convert",
                            }.get(template, template)
                spec.validate(request.method.lower(), template, self.json_body(request))
                self.sent.append((request.method, path, self.json_body(request)))
            return handler(request)

        return check

    # -- lists and records ------------------------------------------------------------------
    @staticmethod
    def _page(request, rows):
        query = ProviderEdge.query(request)
        size = int(query.get("$pagesize") or 50)
        page = int(query.get("$page") or 1)
        pages = max(1, -(-len(rows) // size))
        return 200, {"Meta": {"CurrentPage": page, "PageSize": size,
                              "TotalNumberOfPages": pages, "TotalNumberOfResults": len(rows),
                              "ServerTimeUtc": timezone.now().isoformat()},
                     "Data": rows[(page - 1) * size:page * size]}

    def _list(self, request, store, stamp):
        query = self.query(request)
        rows = list(store.values())
        expression = query.get("$filter") or ""
        for field, value in re.findall(r"(\w+) eq '((?:[^']|'')*)'", expression):
            rows = [r for r in rows if str(r.get(field) or "").lower()
                    == value.replace("''", "'").lower()] if " or " not in expression else rows
        if " or " in expression:
            pairs = re.findall(r"(\w+) eq '((?:[^']|'')*)'", expression)
            rows = [r for r in store.values()
                    if any(str(r.get(f) or "").lower() == v.lower() for f, v in pairs)]
        since = re.search(r"ChangedUtc gt (\S+)", expression)
        since = since.group(1) if since else query.get("modifiedSinceUtc")
        if since and stamp:
            rows = [r for r in rows if r[stamp] > since.replace("Z", "+00:00")]
        return self._page(request, rows)

    def _one(self, request, store):
        row = store.get(urlsplit(request.url).path.rsplit("/", 1)[1])
        return (200, row) if row else error(404, 3000, "ResourceNotFound - not found.")

    def _stamp(self):
        return timezone.now().isoformat()

    def _create_customer(self, request):
        row = self.json_body(request)
        with self.lock:
            if any(c.get("CustomerNumber") == row.get("CustomerNumber")
                   for c in self.customers.values()):
                return error(400, 4000, "Conflict - CustomerNumber is taken.")
            row = {**row, "Id": str(uuid.uuid4()), "ChangedUtc": self._stamp()}
            self.customers[row["Id"]] = row
            self.created.append(row["Id"])
        if self.take_loss():
            raise self.timeout()
        return 201, row

    def _put_customer(self, request):
        remote_id = urlsplit(request.url).path.rsplit("/", 1)[1]
        if remote_id not in self.customers:
            return error(404, 3000, "ResourceNotFound - Customer was not found.")
        self.customers[remote_id] = {**self.json_body(request), "Id": remote_id,
                                     "ChangedUtc": self._stamp()}
        return 200, self.customers[remote_id]

    def _create_article(self, request):
        row = {**self.json_body(request), "Id": str(uuid.uuid4()), "ChangedUtc": self._stamp()}
        self.articles[row["Id"]] = row
        return 201, row

    def _lost(self, path):
        with self.lock:
            if path in self.lose_next:
                self.lose_next.discard(path)
                return True
        return False

    def _create_draft(self, request):
        row = {**self.json_body(request), "Id": str(uuid.uuid4()), "CreatedUtc": self._stamp()}
        self.drafts[row["Id"]] = row
        if self._lost("draft"):
            raise self.timeout()
        return 201, row

    def _delete_draft(self, request):
        self.drafts.pop(urlsplit(request.url).path.rsplit("/", 1)[1], None)
        return 204, ""

    def _convert(self, request):
        draft_id = unquote(urlsplit(request.url).path.split("/")[-2])
        draft = self.drafts.get(draft_id)
        if draft is None:
            return error(404, 3000, "ResourceNotFound - draft not found.")
        guard = self.json_body(request)
        self.convert_bodies.append(guard)
        net = sum(Decimal(str(r["Quantity"])) * Decimal(str(r["UnitPrice"]))
                  * (1 - Decimal(str(r.get("DiscountPercentage", 0))))
                  for r in draft["Rows"])
        vat = (net * self.vat_rate / 100).quantize(Decimal("0.01"))
        if guard.get("TotalVatAmountInvoiceCurrency") not in (None, float(vat)):
            return error(400, 2000, "DataModelValidationError - TotalVatAmountInvoiceCurrency "
                                    f"is {vat}.", [{"Field": "TotalVatAmountInvoiceCurrency",
                                                    "ErrorCode": 2000, "Message": "Mismatch"}])
        total = float(net + vat)
        invoice = {**{k: v for k, v in draft.items() if k != "Id"},
                   "Id": str(uuid.uuid4()), "InvoiceNumber": len(self.invoices) + 1,
                   "TotalAmount": total, "TotalAmountInvoiceCurrency": total,
                   "TotalVatAmount": float(vat), "RemainingAmount": total,
                   "RemainingAmountInvoiceCurrency": total, "PaymentStatus": 1,
                   "CurrencyCode": "SEK", "ModifiedUtc": self._stamp(),
                   "Rows": [{**r, "ArticleNumber": self.articles.get(r.get("ArticleId"), {})
                             .get("Number")} for r in draft["Rows"]]}
        self.invoices[invoice["Id"]] = invoice
        del self.drafts[draft_id]
        if self._lost("convert"):
            raise self.timeout()
        return 201, invoice

    def pay(self, invoice_id, amount):
        invoice = self.invoices[invoice_id]
        remaining = Decimal(str(invoice["RemainingAmount"])) - Decimal(str(amount))
        invoice.update({"RemainingAmount": float(remaining),
                        "RemainingAmountInvoiceCurrency": float(remaining),
                        "PaymentStatus": 0 if remaining <= 0 else 1,
                        "PaymentDate": timezone.localdate().isoformat() + "T00:00:00",
                        "ModifiedUtc": self._stamp()})
