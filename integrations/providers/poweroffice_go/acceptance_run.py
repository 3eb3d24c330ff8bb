"""`make demo` (`manage.py acceptance`): the dealer's seven acceptance criteria against the
PowerOffice Go simulator, run by the shared `DealerAcceptanceRun` with what only Go knows
here: how to connect (a pasted client key), how to read its orders and invoices, how a
payment is registered and comes back (the scheduled poll)."""

from django.conf import settings

from contracts.dealerflow.acceptance import DealerAcceptanceRun, Remote
from integrations.providers.poweroffice_go import acceptance
from integrations.providers.poweroffice_go.provider import PowerOfficeGo


def run(*, stdout, style, verbosity=1) -> bool:
    """The `Provider.acceptance()` hook: True when all seven criteria pass."""
    return DealerAcceptanceRun(GoRemote(), stdout=stdout, style=style,
                               verbosity=verbosity).run()


class GoRemote(Remote):
    key = "poweroffice_go"
    name = "PowerOffice Go"
    organization_slug = "nordbil"
    admin_user, staff_user = "nordbil-admin", "nordbil-staff"

    def setup(self, app_url):
        from sandbox.poweroffice_go import seed

        seed.seed()
        base = f"{app_url}/sandbox/poweroffice_go"
        settings.POWEROFFICE_GO_BASE_URL = base
        settings.POWEROFFICE_GO_WEB_URL = f"{base}/go"
        settings.POWEROFFICE_GO_APPLICATION_KEY = seed.APPLICATION_KEY
        settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = seed.SUBSCRIPTION_KEY
        self.faults_url = f"{base}/_control/faults"
        self.go = acceptance.PowerOfficeGoSandbox(base, application_key=seed.APPLICATION_KEY,
                                                  subscription_key=seed.SUBSCRIPTION_KEY)
        self.company = seed.NORDBIL
        return (f"App and sandbox on {app_url} (this process); demo company "
                f"{self.company.name} in the PowerOffice Go sandbox.")

    def api(self, path, params=None):
        return self.go.api(self.company.client_key, path, params)

    def connect(self, browser):
        response = browser.post("/settings/accounting/client-key/",
                                {"client_key": self.company.client_key})
        return self.company.name in response.text

    def order_lines(self, order_id):
        order = self.api(f"/SalesOrders/{order_id}/Complete")
        products = {p["Id"]: p for p in self.api("/Products")}
        return [(str(products[line["ProductId"]]["StandardSalesAccount"]), line["VatCode"])
                for line in order["SalesOrderLines"]]

    def invoice(self, invoice_id):
        row = self.api(f"/OutgoingInvoices/{invoice_id}")
        return {"number": row.get("InvoiceNo"), "total": row["TotalAmount"], "id": row["Id"]}

    def register_payment(self, invoice_id, amount):
        self.go.register_payment(tenant=self.company.client_id, invoice_id=invoice_id,
                                 amount=amount)

    def wait_until_paid(self, contract_pk, timeout=60.0):
        PowerOfficeGo.poll_all()  # what the schedule runs every POWEROFFICE_GO_POLL_MINUTES
        return (f"one poll; the schedule polls every {settings.POWEROFFICE_GO_POLL_MINUTES} "
                f"min")

    def count_orders(self, reference):
        return len([o for o in self.api("/SalesOrders")
                    if o.get("ExternalImportReference") == reference])

    def count_invoices(self, reference, order_id):
        return len(self.api("/OutgoingInvoices", {"customMatchingReferences": reference}))

    def secrets(self):
        return [self.company.client_key]

    def refused_after_disconnect(self):
        answer = self.go.token(self.company.client_key)
        return answer.status_code == 400 and answer.json().get("error") == "invalid_client"
