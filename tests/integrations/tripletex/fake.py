"""Tripletex v2 as `responses` plays it (fact sheet `tripletex.md`): session tokens from the
consumer and employee tokens, Basic "0:<session>", `{value}` / `{values}` wrappers, the error
envelope, the rate-limit headers; customers, products, accounts, VAT types, orders, order ->
invoice, invoices, event subscriptions. Every body we send is validated against the spec."""

import base64
import itertools
import re
from datetime import date, timedelta
from urllib.parse import unquote, urlsplit

from tests.integrations.provider_edge import ProviderEdge
from tests.integrations.tripletex import spec
from tests.integrations.tripletex.conftest import API

CONSUMER = "test-consumer-5ecret"


def envelope(status, code, message, validation=()):
    return {"status": status, "code": code, "message": message, "link": "",
            "developerMessage": None,
            "validationMessages": [{"field": f, "message": m} for f, m in validation],
            "requestId": "req-1"}


class TripletexEdge(ProviderEdge):
    token_endpoint = ("POST", r"/v2/token/session/:create$")
    create_endpoint = ("POST", r"/v2/customer$")
    revoke_endpoint = ("DELETE", r"/v2/token/session/[^/>]+$")
    refresh_token = None  # the employee token stays; a new session is made from it

    def __init__(self, rsps):
        super().__init__(rsps)
        self.employee_tokens = {"test-employee-5ecret"}
        self.sessions = {}  # session token -> employee token
        self.ids = itertools.count(1001)
        self.numbers = itertools.count(1)
        self.remaining = 100
        self.fail_next = None  # (status, body): the next authorized request answers this
        self.store = {"customer": [], "product": [], "order": [], "invoice": [],
                      "subscription": []}
        self.accounts = [{"id": 48000000 + n, "number": n, "name": f"Konto {n}",
                          "vatType": {"id": 3, "number": "3"}}
                         for n in (3000, 3010, 3020, 3100)]
        self.vat_types = [{"id": 3, "number": "3", "name": "Utgående høy", "percentage": 25.0},
                          {"id": 5, "number": "5", "name": "Fritatt", "percentage": 0.0}]
        self.serve("POST", f"{API}/token/session/:create", self._session)
        self.serve("DELETE", re.compile(rf"{re.escape(API)}/token/session/[^/>?]+$"),
                   self._delete_session)
        who = re.compile(rf"{re.escape(API)}/token/session/(>|%3E)whoAmI(\?.*)?$")
        self.serve("GET", who, self._auth(lambda r: (200, {
            "value": {"company": {"id": 9100001, "name": "Bil Vest Tripletex AS"},
                      "employee": {"id": 1, "displayName": "Demo Regnskap"}}})))
        for kind in ("customer", "product", "order"):
            self.serve("GET", f"{API}/{kind}", self._auth(self._lister(kind)))
            self.serve("POST", f"{API}/{kind}", self._auth(self._creator(kind)))
            self.serve("GET", re.compile(rf"{re.escape(API)}/{kind}/\d+(\?.*)?$"),
                       self._auth(self._getter(kind)))
            self.serve("PUT", re.compile(rf"{re.escape(API)}/{kind}/\d+(\?.*)?$"),
                       self._auth(self._getter(kind)))
        self.serve("GET", f"{API}/ledger/account", self._auth(
            lambda r: (200, {"values": self._filtered(self.accounts, r, "number")})))
        self.serve("GET", f"{API}/ledger/vatType", self._auth(
            lambda r: (200, {"values": self.vat_types})))
        self.serve("PUT", re.compile(rf"{re.escape(API)}/order/\d+/:invoice(\?.*)?$"),
                   self._auth(self._invoice_order))
        self.serve("GET", f"{API}/invoice", self._auth(self._list_invoices))
        self.serve("GET", re.compile(rf"{re.escape(API)}/invoice/\d+(\?.*)?$"),
                   self._auth(self._getter("invoice")))
        self.serve("POST", f"{API}/event/subscription", self._auth(self._subscribe))
        self.serve("DELETE", re.compile(rf"{re.escape(API)}/event/subscription/\d+$"),
                   self._auth(self._unsubscribe))

    # -- the cases' hooks -------------------------------------------------------------------
    def remote_ids(self):
        return [str(row["id"]) for row in self.store["customer"]]

    def grant(self, employee_token, session):
        with self.lock:
            self.employee_tokens.add(employee_token)
            self.sessions[session] = employee_token

    # -- plumbing ---------------------------------------------------------------------------
    def headers(self):
        with self.lock:
            self.remaining = max(self.remaining - 1, 0)
            left = self.remaining
        return {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": str(left),
                "X-Rate-Limit-Reset": "30"}

    def _session_of(self, request):
        value = request.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        return password if user == "0" else None

    def _auth(self, handler):
        def check(request):
            with self.lock:
                session = self._session_of(request)
                ok = session in self.sessions and \
                    self.sessions[session] in self.employee_tokens
            if not ok:
                return 401, envelope(401, 3000, "Unauthorized"), self.headers()
            self.check_query(request)
            with self.lock:
                failure, self.fail_next = self.fail_next, None
            if failure is not None:
                return failure[0], failure[1], self.headers()
            status, body = handler(request)[:2]
            return status, body, self.headers()

        return check

    @staticmethod
    def check_query(request):
        """Every query parameter we send is one the spec lists for the operation, and every
        parameter the spec requires is sent (e.g. both dates on GET /order and /invoice)."""
        path = unquote(urlsplit(request.url).path).removeprefix(urlsplit(API).path)
        template = re.sub(r"/\d+(?=/|$)", "/{id}", path)
        known = spec.query_parameters(template, request.method.lower())
        sent = set(ProviderEdge.query(request))
        assert sent <= set(known), f"{request.method} {template}: not in the spec: " \
                                   f"{sorted(sent - set(known))}"
        missing = [name for name, required in known.items() if required and name not in sent]
        assert not missing, f"{request.method} {template}: required {missing} not sent"

    def _unsubscribe(self, request):
        wanted = int(urlsplit(request.url).path.rsplit("/", 1)[1])
        with self.lock:
            before = len(self.store["subscription"])
            self.store["subscription"] = [s for s in self.store["subscription"]
                                          if s["id"] != wanted]
            found = len(self.store["subscription"]) < before
        return (204, "") if found else (404, envelope(404, 6000, "Not found"))

    def _session(self, request):
        body = self.json_body(request)
        spec.validate("PostSessionTokenBody", body)
        if body.get("consumerToken") != CONSUMER or \
                body.get("employeeToken") not in self.employee_tokens:
            return 401, envelope(401, 3000, "Invalid consumer or employee token")
        with self.lock:
            token = f"session-{len(self.sessions) + 100}"
            self.sessions[token] = body["employeeToken"]
        import time

        time.sleep(0.1)  # long enough that unserialised refreshes would overlap
        return 200, {"value": {"id": 1, "token": token, "expirationDate":
                               body["expirationDate"]}}

    def _delete_session(self, request):
        token = urlsplit(request.url).path.rsplit("/", 1)[1]
        with self.lock:
            found = self.sessions.pop(token, None)
        return (204, "") if found else (404, envelope(404, 6000, "Not found"))

    def _filtered(self, rows, request, *names):
        query = self.query(request)
        result = rows
        for name in names:
            if name in query:
                wanted = set(query[name].split(","))
                result = [r for r in result if str(r.get(name)) in wanted]
        return result

    def _lister(self, kind):
        filters = {"customer": ("organizationNumber", "email"), "product": (),
                   "order": ()}[kind]

        def answer(request):
            rows = self._filtered(self.store[kind], request, *filters)
            query = self.query(request)
            if kind == "product" and "productNumber" in query:
                rows = [r for r in rows if r.get("number") == query["productNumber"]]
            if kind == "order":
                assert "orderDateFrom" in query and "orderDateTo" in query  # gotcha 5
                rows = [r for r in rows
                        if query["orderDateFrom"] <= r["orderDate"] < query["orderDateTo"]]
            return 200, {"from": 0, "count": len(rows), "fullResultSize": len(rows),
                         "values": rows}

        return answer

    def _creator(self, kind):
        schema = {"customer": "Customer", "product": "Product", "order": "Order"}[kind]

        def answer(request):
            body = self.json_body(request)
            spec.validate(schema, body)
            row = {**body, "id": next(self.ids), "version": 0}
            if kind == "customer":
                row["customerNumber"] = 10000 + row["id"]
            if kind == "order":
                row["number"] = str(next(self.numbers))
            with self.lock:
                self.store[kind].append(row)
            if kind == "customer" and self.take_loss():
                raise self.timeout()
            if kind == "order" and self.take_loss():
                raise self.timeout()
            return 201, {"value": row}

        return answer

    def _getter(self, kind):
        def answer(request):
            wanted = int(urlsplit(request.url).path.rsplit("/", 1)[1])
            rows = [r for r in self.store[kind] if r["id"] == wanted]
            if not rows:
                return 404, envelope(404, 6000, "Object not found")
            if request.method == "PUT":
                body = self.json_body(request)
                spec.validate({"customer": "Customer", "product": "Product",
                               "order": "Order"}[kind], body)
                rows[0].update(body)
            return 200, {"value": rows[0]}

        return answer

    def _invoice_order(self, request):
        order_id = int(urlsplit(request.url).path.split("/")[-2])
        query = self.query(request)
        assert "invoiceDate" in query  # required
        order = next(r for r in self.store["order"] if r["id"] == order_id)
        if order.get("isClosed"):
            return 422, envelope(422, 15000, "Validering feilet.",
                                 [("id", "Ordren er allerede fakturert.")])
        order["isClosed"] = True
        total = sum(line["count"] * line["unitPriceExcludingVatCurrency"]
                    for line in order["orderLines"]) * 1.25
        invoice = {"id": next(self.ids), "invoiceNumber": next(self.numbers),
                   "invoiceDate": query["invoiceDate"],
                   # Tripletex's default terms: due 14 days after the invoice date.
                   "invoiceDueDate": (date.fromisoformat(query["invoiceDate"])
                                      + timedelta(days=14)).isoformat(),
                   "amount": round(total, 2), "amountOutstanding": round(total, 2),
                   "orders": [{"id": order_id}]}
        with self.lock:
            self.store["invoice"].append(invoice)
        if self.take_loss():
            raise self.timeout()
        return 200, {"value": invoice}

    def _list_invoices(self, request):
        query = self.query(request)
        assert "invoiceDateFrom" in query and "invoiceDateTo" in query  # gotcha 5
        rows = self.store["invoice"]
        if "id" in query:
            wanted = set(query["id"].split(","))
            rows = [r for r in rows if str(r["id"]) in wanted]
        return 200, {"from": 0, "count": len(rows), "fullResultSize": len(rows), "values": rows}

    def _subscribe(self, request):
        body = self.json_body(request)
        spec.validate("Subscription", body)
        row = {**body, "id": next(self.ids), "status": "ACTIVE"}
        with self.lock:
            self.store["subscription"].append(row)
        return 201, {"value": {k: v for k, v in row.items() if k != "hmacSharedSecret"}}
