"""`make demo` (`manage.py acceptance`): the dealer's seven acceptance criteria, run against the
PowerOffice Go simulator and printed with PASS or FAIL.

It serves this app (with the sandbox mounted) on a free port in this process, points the
PowerOffice Go settings at that sandbox, logs in as `nordbil-admin` and does what the README's
"PowerOffice Go demo, by hand" steps do, through the same URLs. Jobs run through the worker's
own `run_job` (no worker needed); the payment poll is the scheduled task itself.
"""

import time
import traceback
from datetime import datetime

from django.conf import settings
from django.db import connection as db

from integrations.acceptance import AcceptanceFailed, serve
from integrations.models import Connection, Link, SyncJob, SyncLogEntry
from integrations.providers.poweroffice_go import acceptance
from integrations.providers.poweroffice_go.provider import PowerOfficeGo


def run(*, stdout, style, verbosity=1) -> bool:
    """The `Provider.acceptance()` hook: True when all seven criteria pass."""
    return AcceptanceRun(stdout=stdout, style=style, verbosity=verbosity).run()


class AcceptanceRun:
    def __init__(self, *, stdout, style, verbosity=1):
        self.stdout, self.style, self.verbosity = stdout, style, verbosity

    def run(self):
        from accounting.models import Organization
        from sandbox.poweroffice_go import seed

        seed.seed()
        self.org = Organization.objects.filter(slug="nordbil").first()
        if self.org is None:
            raise AcceptanceFailed("No demo dealer: run `python manage.py load_demo` first.")
        server, url = serve()
        base = f"{url}/sandbox/poweroffice_go"
        settings.POWEROFFICE_GO_BASE_URL = base
        settings.POWEROFFICE_GO_WEB_URL = f"{base}/go"
        settings.POWEROFFICE_GO_APPLICATION_KEY = seed.APPLICATION_KEY
        settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = seed.SUBSCRIPTION_KEY
        settings.APP_BASE_URL = url
        self.go = acceptance.PowerOfficeGoSandbox(base, application_key=seed.APPLICATION_KEY,
                                                  subscription_key=seed.SUBSCRIPTION_KEY)
        self.company = seed.NORDBIL
        self.browser = acceptance.Browser(url)
        self.stamp = datetime.now().strftime("%H%M%S")
        self.stdout.write(f"App and sandbox on {url} (this process); demo company "
                          f"{self.company.name} in the PowerOffice Go sandbox.\n")
        results = []
        try:
            self.browser.login("nordbil-admin", "demo1234")
            response = self.browser.post("/settings/accounting/client-key/",
                                         {"client_key": self.company.client_key})
            if self.company.name not in response.text:
                raise AcceptanceFailed("Could not connect the demo dealer to PowerOffice Go.")
            self.connection = Connection.objects.get(organization=self.org,
                                                     provider="poweroffice_go")
            for number, title, check in self.criteria():
                started = time.monotonic()
                try:
                    ok, detail = check()
                except Exception as exc:  # a criterion that crashes has failed
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                    if self.verbosity > 1:
                        traceback.print_exc()
                results.append(ok)
                mark = self.style.SUCCESS("PASS") if ok else self.style.ERROR("FAIL")
                self.stdout.write(f"[{mark}] {number}. {title}\n       {detail} "
                                  f"({time.monotonic() - started:.1f} s)")
        finally:
            server.shutdown()
        passed = sum(results)
        self.stdout.write(f"\n{passed} of {len(results)} acceptance criteria pass.")
        return passed == len(results)

    # -- helpers ------------------------------------------------------------------------------
    def criteria(self):
        return [
            (1, "A contract with car + one add-on becomes an Order in PO Go with correct VAT "
                "and accounts", self.order),
            (2, '"Invoice now" produces an Invoice in PO Go; the app stores invoiceId and '
                "displays a link", self.invoice),
            (3, 'A payment registered in PO Go shows "Betalt" within 5 minutes', self.paid),
            (4, "A missing VAT/account mapping blocks the action with a clear error and a "
                "deep link", self.missing_mapping),
            (5, 'Re-clicking "Send til PowerOffice Go" does not duplicate orders or invoices',
             self.idempotent),
            (6, "The sync monitor lists recent operations and retries failed jobs",
             self.monitor),
            (7, "Tokens are stored encrypted; disconnect revokes access and clears local state",
             self.disconnect),
        ]

    def new_contract(self, suffix, lines):
        from accounting.models import Customer
        from contracts.models import Car

        customer = Customer.objects.for_org(self.org).get(name="Fjordtransport AS")
        car = Car.objects.for_org(self.org).get(registration_number="EL 12345")
        return self.browser.create_contract(number=f"DEMO-{self.stamp}-{suffix}",
                                            customer_id=customer.pk, car_id=car.pk, lines=lines)

    CAR_AND_ADDON = [("car", "Volvo EX30", "1", "389900.00"), ("addon", "Vinterhjul", "4",
                                                                 "2490.50")]

    def reference(self, pk):
        return f"hub-{self.org.pk}-order-{pk}"

    def orders_in_go(self, pk):
        return [o for o in self.go.api(self.company.client_key, "/SalesOrders")
                if o.get("ExternalImportReference") == self.reference(pk)]

    # -- the seven criteria ---------------------------------------------------------------------
    def order(self):
        from integrations.models import AccountMapping, VatMapping

        self.pk = self.new_contract("1", self.CAR_AND_ADDON)
        self.browser.post(f"/contracts/{self.pk}/pogo/send/")
        acceptance.drain()
        link = Link.objects.get(connection=self.connection, record_type="order",
                                local_id=str(self.pk))
        order = self.go.api(self.company.client_key, f"/SalesOrders/{link.remote_id}/Complete")
        products = {p["Id"]: p for p in self.go.api(self.company.client_key, "/Products")}
        accounts = dict(AccountMapping.objects.for_org(self.org)
                        .filter(provider="poweroffice_go").values_list("category",
                                                                       "account_number"))
        vats = dict(VatMapping.objects.for_org(self.org).filter(provider="poweroffice_go")
                    .values_list("category", "vat_code"))
        got = [(products[line["ProductId"]]["StandardSalesAccount"], line["VatCode"])
               for line in order["SalesOrderLines"]]
        want = [(int(accounts[c]), vats[c]) for c in ("car", "addon")]
        page = self.browser.get(f"/contracts/{self.pk}/").text
        ok = got == want and f"Ordre #{order['SalesOrderNo']} opprettet" in page
        return ok, (f"order #{order['SalesOrderNo']} with lines (account, VAT) {got}, "
                    f"mapping says {want}")

    def invoice(self):
        self.browser.post(f"/contracts/{self.pk}/pogo/invoice/")
        acceptance.drain(timeout=90)
        link = Link.objects.get(connection=self.connection, record_type="invoice",
                                local_id=str(self.pk))
        self.invoice_row = self.go.api(self.company.client_key,
                                       f"/OutgoingInvoices/{link.remote_id}")
        page = self.browser.get(f"/contracts/{self.pk}/").text
        opens = self.browser.session.get(link.remote_url).status_code == 200
        ok = link.remote_url in page and opens and bool(self.invoice_row.get("InvoiceNo"))
        return ok, (f"invoice #{self.invoice_row.get('InvoiceNo')} id {link.remote_id}; link "
                    f"{link.remote_url} {'opens' if opens else 'does not open'}")

    def paid(self):
        started = time.monotonic()
        self.go.register_payment(tenant=self.company.client_id, invoice_id=self.invoice_row["Id"],
                                 amount=f"{self.invoice_row['TotalAmount']:.2f}")
        PowerOfficeGo.poll_all()  # what the schedule runs every POWEROFFICE_GO_POLL_MINUTES
        page = self.browser.get(f"/contracts/{self.pk}/").text
        ok = 'data-state="paid"' in page and ">Betalt<" in page
        return ok, (f"'Betalt' after one poll, {time.monotonic() - started:.1f} s after the "
                    f"payment; the schedule polls every {settings.POWEROFFICE_GO_POLL_MINUTES} "
                    f"min")

    def missing_mapping(self):
        pk = self.new_contract("4", [*self.CAR_AND_ADDON, ("fee", "Omregistrering", "1",
                                                           "1500")])
        page = self.browser.post(f"/contracts/{pk}/pogo/send/").text
        link = "/admin/integrations/vatmapping/add/?provider=poweroffice_go&amp;category=fee"
        blocked = not SyncJob.objects.filter(local_id=str(pk), operation="order.create").exists()
        ok = "Mangler MVA-mapping for" in page and link in page and blocked
        return ok, "blocked: 'Mangler MVA-mapping for …' linking to the fee's VAT mapping form"

    def idempotent(self):
        pk = self.new_contract("5", self.CAR_AND_ADDON)
        staff = acceptance.Browser(self.browser.base_url)
        staff.login("nordbil-staff", "demo1234")
        acceptance.run_concurrently([lambda b=b: b.post(f"/contracts/{pk}/pogo/send/")
                                     for b in (self.browser, staff, self.browser)])
        self.browser.post(f"/contracts/{pk}/pogo/send/")
        acceptance.drain()
        self.browser.post(f"/contracts/{pk}/pogo/send/")
        acceptance.drain()
        orders = len(self.orders_in_go(pk))  # counted before invoicing: a sent order leaves
        acceptance.run_concurrently([lambda b=b: b.post(f"/contracts/{pk}/pogo/invoice/")
                                     for b in (self.browser, staff)])
        self.browser.post(f"/contracts/{pk}/pogo/invoice/")
        acceptance.drain(timeout=90)
        invoices = len(self.go.api(self.company.client_key, "/OutgoingInvoices",
                                   {"customMatchingReferences": self.reference(pk)}))
        return orders == 1 and invoices == 1, (
            f"5 send clicks (3 at once, 2 people) and 3 invoice clicks: {orders} order, "
            f"{invoices} invoice in PO Go")

    def monitor(self):
        pk = self.new_contract("6", self.CAR_AND_ADDON)
        self.go.faults(server_error_rate=1.0, server_error_status=503)
        old = settings.SYNC_MAX_RETRIES
        settings.SYNC_MAX_RETRIES = 0  # fail at once instead of after five backoffs
        try:
            self.browser.post(f"/contracts/{pk}/pogo/send/")
            acceptance.drain()
        finally:
            settings.SYNC_MAX_RETRIES = old
            self.go.faults(reset=True)
        job = SyncJob.objects.get(operation="order.create", local_id=str(pk))
        failed = job.status
        listed = "order.create" in self.browser.get("/admin/integrations/synclogentry/").text
        self.browser.post(f"/admin/integrations/syncjob/{job.pk}/retry/")
        acceptance.drain()
        job.refresh_from_db()
        entries = SyncLogEntry.objects.filter(job=job).count()
        ok = failed == SyncJob.Status.DEAD and listed and job.status == SyncJob.Status.DONE
        return ok, (f"job {job.pk} was '{failed}' after a 503, listed in the monitor "
                    f"({entries} entries), '{job.status}' after Retry")

    def disconnect(self):
        with db.cursor() as cursor:
            cursor.execute("SELECT encrypted_credentials FROM integrations_connection "
                           "WHERE id = %s", [self.connection.pk])
            stored = cursor.fetchone()[0]
        stored = stored if isinstance(stored, str) else bytes(stored).decode("latin-1")
        encrypted = (self.company.client_key not in stored and "access_token" not in stored)
        self.browser.post("/settings/accounting/disconnect/")
        self.connection.refresh_from_db()
        answer = self.go.token(self.company.client_key)
        refused = answer.status_code == 400 and answer.json().get("error") == "invalid_client"
        cleared = (self.connection.status == Connection.Status.DISCONNECTED
                   and self.connection.credentials == {})
        ok = encrypted and refused and cleared
        return ok, (f"stored credentials {'are' if encrypted else 'are NOT'} encrypted; after "
                    f"disconnect: local credentials {'cleared' if cleared else 'NOT cleared'}, "
                    f"PO Go {'refuses' if refused else 'still accepts'} the client key "
                    f"(`make run` re-activates the demo company)")
