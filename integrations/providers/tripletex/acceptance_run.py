"""`make demo` (`manage.py acceptance`): the dealer's seven acceptance criteria against the
Tripletex simulator, for the second demo dealer (Nordbil Vest AS), run by the shared
`DealerAcceptanceRun` with what only Tripletex knows here: connecting with the employee token,
reading its orders and invoices with a session of our own, the accountant page registering a
payment, and the payment coming back by webhook (the simulator calls our endpoint; the stored
events are processed as the worker would)."""

import time

import requests
from django.conf import settings
from django.utils import timezone

from contracts.dealerflow.acceptance import DealerAcceptanceRun, Remote, csrf_in, drain_webhooks


def run(*, stdout, style, verbosity=1) -> bool:
    return DealerAcceptanceRun(TripletexRemote(), stdout=stdout, style=style,
                               verbosity=verbosity).run()


class TripletexSandbox:
    """Tripletex's API (the sandbox) as we read it for checks: a session of our own made from
    the demo company's employee token, and the accountant page."""

    def __init__(self, base, *, consumer_token, employee_token, company_id):
        self.base = base.rstrip("/")
        self.consumer_token, self.employee_token = consumer_token, employee_token
        self.company_id = company_id
        self.http = requests.Session()
        self.session_token = None

    def session(self):
        response = self.http.post(f"{self.base}/v2/token/session/:create", timeout=30, json={
            "consumerToken": self.consumer_token, "employeeToken": self.employee_token,
            "expirationDate": (timezone.localdate() + timezone.timedelta(days=1)).isoformat()})
        return response

    def api(self, path, params=None):
        if self.session_token is None:
            self.session_token = self.session().json()["value"]["token"]
        response = self.http.get(f"{self.base}/v2/{path.lstrip('/')}", params=params, timeout=30,
                                 auth=("0", self.session_token))
        response.raise_for_status()
        return response.json()

    def register_payment(self, *, invoice_id, amount, paid_on=None):
        page = self.http.get(f"{self.base}/accountant/", params={"tenant": self.company_id},
                             timeout=30)
        response = self.http.post(
            f"{self.base}/accountant/", timeout=30,
            data={"csrfmiddlewaretoken": csrf_in(page.text), "tenant": self.company_id,
                  "invoice": invoice_id, "amount": str(amount).replace(".", ","),
                  "paid_on": (paid_on or timezone.localdate()).isoformat()},
            headers={"Referer": page.url})
        if response.status_code >= 400:
            raise AssertionError(f"the accountant page refused the payment "
                                 f"({response.status_code})")
        return response


def wait_for_state(contract_pk, state, *, provider="tripletex", timeout=30.0):
    """Process arriving webhooks until the contract has `state`; seconds it took, or None."""
    from contracts.models import Contract

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        drain_webhooks(provider=provider)
        if Contract.objects.filter(pk=contract_pk, accounting_state=state).exists():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


class TripletexRemote(Remote):
    key = "tripletex"
    name = "Tripletex"
    organization_slug = "nordbil-vest"
    admin_user, staff_user = "vest-admin", "vest-staff"

    def setup(self, app_url):
        from sandbox.tripletex import seed

        seed.seed()
        base = f"{app_url}/sandbox/tripletex"
        settings.TRIPLETEX_BASE_URL = f"{base}/v2"
        settings.TRIPLETEX_WEB_URL = f"{base}/web"
        settings.TRIPLETEX_CONSUMER_TOKEN = seed.CONSUMER_TOKEN
        self.faults_url = f"{base}/_control/faults"
        self.tx = TripletexSandbox(base, consumer_token=seed.CONSUMER_TOKEN,
                                   employee_token=seed.NORDBIL_EMPLOYEE_TOKEN,
                                   company_id=seed.NORDBIL_COMPANY_ID)
        return (f"App and sandbox on {app_url} (this process); demo company "
                f"{seed.NORDBIL_NAME} in the Tripletex sandbox.")

    def connect(self, browser):
        from sandbox.tripletex import seed

        response = browser.post("/settings/accounting/tripletex/token/",
                                {"employee_token": seed.NORDBIL_EMPLOYEE_TOKEN})
        return seed.NORDBIL_NAME in response.text

    def order_lines(self, order_id):
        order = self.tx.api(f"/order/{order_id}", {"fields": "orderLines(product(id),vatType(id))"})
        lines = []
        for line in order["value"]["orderLines"]:
            product = self.tx.api(f"/product/{line['product']['id']}",
                                  {"fields": "account(number)"})["value"]
            vat = self.tx.api(f"/ledger/vatType/{line['vatType']['id']}",
                              {"fields": "number"})["value"]
            lines.append((str(product["account"]["number"]), str(vat["number"])))
        return lines

    def invoice(self, invoice_id):
        row = self.tx.api(f"/invoice/{invoice_id}", {"fields": "id,invoiceNumber,amount"})["value"]
        return {"number": row.get("invoiceNumber"), "total": row["amount"], "id": row["id"]}

    def register_payment(self, invoice_id, amount):
        self.tx.register_payment(invoice_id=invoice_id, amount=amount)

    def wait_until_paid(self, contract_pk, timeout=60.0):
        took = wait_for_state(contract_pk, "paid", timeout=timeout)
        if took is None:
            return f"no webhook made it 'paid' within {timeout:.0f} s"
        return f"by webhook, {took:.1f} s after the accountant page answered"

    def _orders(self, reference):
        today = timezone.localdate()
        rows = self.tx.api("/order", {"orderDateFrom": (today - timezone.timedelta(days=7))
                                      .isoformat(),
                                      "orderDateTo": (today + timezone.timedelta(days=2))
                                      .isoformat(), "fields": "id,reference", "count": 10000})
        return [r for r in rows["values"] if r.get("reference") == reference]

    def count_orders(self, reference):
        return len(self._orders(reference))

    def count_invoices(self, reference, order_id):
        today = timezone.localdate()
        rows = self.tx.api("/invoice", {"invoiceDateFrom": (today - timezone.timedelta(days=7))
                                        .isoformat(),
                                        "invoiceDateTo": (today + timezone.timedelta(days=2))
                                        .isoformat(), "fields": "id,orders(id)", "count": 10000})
        return len([r for r in rows["values"]
                    if any(str(o.get("id")) == str(order_id) for o in r.get("orders") or [])])

    def secrets(self):
        from sandbox.tripletex import seed

        return [seed.NORDBIL_EMPLOYEE_TOKEN]

    def refused_after_disconnect(self):
        """Our session was deleted at Tripletex: the token the hub held no longer works."""
        token = getattr(self, "last_session", None)
        if token is None:
            return False
        answer = self.tx.http.get(f"{self.tx.base}/v2/token/session/>whoAmI", timeout=30,
                                  auth=("0", token))
        return answer.status_code == 401

    def before_disconnect(self, connection):
        self.last_session = connection.credentials.get("access_token")
