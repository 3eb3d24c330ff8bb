"""The dealer's story driven like a person drives it, over HTTP, for any accounting system:
log in, fill in a contract, click the buttons, read the pages; and what the accountant does
at the provider (its simulator's accountant page). Used by `make demo` (each provider's
`acceptance()` builds a `DealerAcceptanceRun` with its `Remote`) and the end-to-end tests.

Jobs run through `drain()`, the same `run_job` the django-q2 worker calls, in this process, so
a run needs no worker; stored webhooks run through `drain_webhooks()` (the queue's own
`process_event`); a scheduled poll is the provider's own schedule hook.
"""

import re
import threading
import time
import traceback
from datetime import datetime
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.db import connection as db
from django.utils import timezone

from integrations.models import Connection, Link, SyncJob, SyncLogEntry, WebhookEvent

ACTIVE = (SyncJob.Status.QUEUED, SyncJob.Status.UNKNOWN, SyncJob.Status.RUNNING)


class Browser:
    """A person at a browser: cookies, CSRF tokens from the forms, redirects followed."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/") + "/"
        self.session = requests.Session()

    def url(self, path):
        return urljoin(self.base_url, path.lstrip("/"))

    def get(self, path, **kwargs):
        return self.session.get(self.url(path), timeout=60, **kwargs)

    def csrf(self):
        token = self.session.cookies.get("csrftoken")
        if token is None:
            page = self.get("/login/")
            token = self.session.cookies.get("csrftoken") or csrf_in(page.text)
        return token

    def post(self, path, data=None, *, json=None, referer=None, **kwargs):
        headers = {"X-CSRFToken": self.csrf(), "Referer": referer or self.url(path)}
        return self.session.post(self.url(path), data=data, json=json, headers=headers,
                                 timeout=60, **kwargs)

    def login(self, username, password):
        page = self.get("/login/")
        response = self.session.post(self.url("/login/"), timeout=60, data={
            "username": username, "password": password,
            "csrfmiddlewaretoken": csrf_in(page.text)}, headers={"Referer": self.url("/login/")})
        if "/login/" in response.url:
            raise AssertionError(f"could not log in as {username}")
        return response

    def create_contract(self, *, number, customer_id, car_id, lines, signed_on=None):
        """Fill in the contract form (with its lines formset) and save; returns the new id."""
        data = {"number": number, "customer": customer_id, "car": car_id, "status": "signed",
                "signed_on": (signed_on or timezone.localdate()).isoformat(),
                "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0",
                "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
        for i, (category, description, quantity, price) in enumerate(lines):
            data.update({f"lines-{i}-category": category, f"lines-{i}-description": description,
                         f"lines-{i}-quantity": str(quantity), f"lines-{i}-unit_price": str(price),
                         f"lines-{i}-vat_label": ""})
        response = self.post("/contracts/new/", data)
        found = re.search(r"/contracts/(\d+)/$", response.url)
        if not found:
            raise AssertionError(f"the contract form did not save: {errors_in(response.text)}")
        return int(found.group(1))


def csrf_in(html):
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


def errors_in(html):
    return re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', html, re.S)[:5]


def drain(*, timeout=60.0, organization=None):
    """Run every due job until nothing is queued or waiting for a retry (or `timeout`)."""
    from integrations.engine import run_job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = SyncJob.objects.filter(status__in=ACTIVE)
        if organization is not None:
            jobs = jobs.filter(organization=organization)
        if not jobs.exists():
            return True
        due = list(jobs.filter(next_attempt_at__lte=timezone.now())
                   .exclude(status=SyncJob.Status.RUNNING).values_list("pk", flat=True))
        for pk in due:
            run_job(pk)
        if not due:
            time.sleep(0.2)
    return False


def drain_webhooks(*, provider=None):
    """Process every stored webhook event waiting in the queue (what the worker does).
    Returns how many were processed."""
    from integrations.webhooks import process_event

    events = WebhookEvent.objects.filter(
        status__in=[WebhookEvent.Status.ACCEPTED, WebhookEvent.Status.QUEUED], valid=True)
    if provider:
        events = events.filter(provider=provider)
    ids = list(events.values_list("pk", flat=True))
    for pk in ids:
        process_event(pk)
    return len(ids)


def run_concurrently(functions):
    """Call each function in its own thread at (nearly) the same moment; their results."""
    results = [None] * len(functions)
    barrier = threading.Barrier(len(functions))

    def call(i, function):
        barrier.wait()
        results[i] = function()

    threads = [threading.Thread(target=call, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


class Remote:
    """What a run needs to see at the provider (its simulator), as its API and accountant
    would answer. A provider's acceptance module subclasses it."""

    key = ""
    name = ""
    organization_slug = ""
    admin_user, staff_user = "", ""
    faults_url = ""  # the simulator's /_control/faults

    def setup(self, app_url) -> str:
        """Point the settings at the simulator and seed it; a line saying what it is."""
        raise NotImplementedError

    def connect(self, browser) -> bool:
        raise NotImplementedError

    def order_lines(self, order_id) -> list:
        """[(income account number, VAT code)] of the order's lines, in order."""
        raise NotImplementedError

    def invoice(self, invoice_id) -> dict:
        """{"number", "total"} of an invoice."""
        raise NotImplementedError

    def register_payment(self, invoice_id, amount):
        raise NotImplementedError

    def wait_until_paid(self, contract_pk, timeout=60.0) -> str:
        """Make the payment come back the provider's way; a line saying how."""
        raise NotImplementedError

    def count_orders(self, reference) -> int:
        raise NotImplementedError

    def count_invoices(self, reference, order_id) -> int:
        raise NotImplementedError

    def secrets(self) -> list:
        """Plaintext credentials that must not appear in the stored (encrypted) column."""
        raise NotImplementedError

    def before_disconnect(self, connection):
        """Note what is needed to check afterwards that the provider refuses our grant."""

    def refused_after_disconnect(self) -> bool:
        raise NotImplementedError

    def faults(self, **values):
        response = requests.post(self.faults_url, json=values, timeout=30)
        response.raise_for_status()
        return response.json()


class DealerAcceptanceRun:
    """The dealer's seven acceptance criteria, printed PASS or FAIL, for one provider."""

    CAR_AND_ADDON = [("car", "Volvo EX30", "1", "389900.00"),
                     ("addon", "Vinterhjul", "4", "2490.50")]

    def __init__(self, remote, *, stdout, style, verbosity=1):
        self.remote = remote
        self.stdout, self.style, self.verbosity = stdout, style, verbosity

    def run(self):
        from accounting.models import Organization
        from integrations.acceptance import AcceptanceFailed, serve

        self.org = Organization.objects.filter(slug=self.remote.organization_slug).first()
        if self.org is None:
            raise AcceptanceFailed("No demo dealer: run `python manage.py load_demo` first.")
        server, url = serve()
        settings.APP_BASE_URL = url
        self.stdout.write(self.remote.setup(url) + "\n")
        self.browser = Browser(url)
        self.stamp = datetime.now().strftime("%H%M%S")
        results = []
        try:
            self.browser.login(self.remote.admin_user, "demo1234")
            if not self.remote.connect(self.browser):
                raise AcceptanceFailed(f"Could not connect the demo dealer to {self.remote.name}.")
            self.connection = Connection.objects.get(organization=self.org,
                                                     provider=self.remote.key)
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

    def criteria(self):
        name = self.remote.name
        return [
            (1, f"A contract with car + one add-on becomes an Order in {name} with correct VAT "
                "and accounts", self.order),
            (2, f'"Invoice now" produces an Invoice in {name}; the app stores invoiceId and '
                "displays a link", self.invoice),
            (3, f'A payment registered in {name} shows "Betalt" within 5 minutes', self.paid),
            (4, "A missing VAT/account mapping blocks the action with a clear error and a "
                "deep link", self.missing_mapping),
            (5, f'Re-clicking "Send til {name}" does not duplicate orders or invoices',
             self.idempotent),
            (6, "The sync monitor lists recent operations and retries failed jobs",
             self.monitor),
            (7, "Tokens are stored encrypted; disconnect revokes access and clears local state",
             self.disconnect),
        ]

    # -- helpers --------------------------------------------------------------------------------
    def new_contract(self, suffix, lines):
        from accounting.models import Customer
        from contracts.models import Car

        customer = Customer.objects.for_org(self.org).get(name="Fjordtransport AS")
        car = Car.objects.for_org(self.org).get(registration_number="EL 12345")
        return self.browser.create_contract(number=f"DEMO-{self.stamp}-{suffix}",
                                            customer_id=customer.pk, car_id=car.pk, lines=lines)

    def reference(self, pk):
        return f"hub-{self.org.pk}-order-{pk}"

    def link(self, record_type, pk):
        return Link.objects.get(connection=self.connection, record_type=record_type,
                                local_id=str(pk))

    def mapped(self):
        from integrations.mappings import category_mappings

        return category_mappings(self.org, self.remote.key)

    # -- the seven criteria ---------------------------------------------------------------------
    def order(self):
        self.pk = self.new_contract("1", self.CAR_AND_ADDON)
        self.browser.post(f"/contracts/{self.pk}/accounting/send/")
        drain()
        link = self.link("order", self.pk)
        got = self.remote.order_lines(link.remote_id)
        accounts, vats = self.mapped()
        want = [(accounts[c], vats[c]) for c in ("car", "addon")]
        page = self.browser.get(f"/contracts/{self.pk}/").text
        number = link.remote_number
        ok = got == want and f"Ordre #{number} opprettet i {self.remote.name}" in page
        return ok, f"order #{number} with lines (account, VAT) {got}, mapping says {want}"

    def invoice(self):
        self.browser.post(f"/contracts/{self.pk}/accounting/invoice/")
        drain(timeout=90)
        link = self.link("invoice", self.pk)
        self.invoice_id = link.remote_id
        self.invoice_row = self.remote.invoice(link.remote_id)
        page = self.browser.get(f"/contracts/{self.pk}/").text
        opens = self.browser.session.get(link.remote_url).status_code == 200
        number = self.invoice_row.get("number")
        ok = link.remote_url in page and opens and bool(number) and f"#{number}" in page
        return ok, (f"invoice #{number} id {link.remote_id}; link {link.remote_url} "
                    f"{'opens' if opens else 'does not open'}")

    def paid(self):
        started = time.monotonic()
        self.remote.register_payment(self.invoice_id, f"{self.invoice_row['total']:.2f}")
        how = self.remote.wait_until_paid(self.pk)
        page = self.browser.get(f"/contracts/{self.pk}/").text
        ok = 'data-state="paid"' in page and ">Betalt<" in page
        return ok, f"'Betalt' {time.monotonic() - started:.1f} s after the payment ({how})"

    def missing_mapping(self):
        pk = self.new_contract("4", [*self.CAR_AND_ADDON, ("fee", "Omregistrering", "1",
                                                           "1500")])
        page = self.browser.post(f"/contracts/{pk}/accounting/send/").text
        link = f"/admin/integrations/vatmapping/add/?provider={self.remote.key}&amp;category=fee"
        blocked = not SyncJob.objects.filter(local_id=str(pk), operation__endswith=".create",
                                             connection=self.connection).exists()
        ok = "Mangler MVA-mapping for" in page and link in page and blocked
        return ok, "blocked: 'Mangler MVA-mapping for …' linking to the fee's VAT mapping form"

    def idempotent(self):
        pk = self.new_contract("5", self.CAR_AND_ADDON)
        staff = Browser(self.browser.base_url)
        staff.login(self.remote.staff_user, "demo1234")
        send = f"/contracts/{pk}/accounting/send/"
        run_concurrently([lambda b=b: b.post(send) for b in (self.browser, staff, self.browser)])
        self.browser.post(send)
        drain()
        self.browser.post(send)
        drain()
        orders = self.remote.count_orders(self.reference(pk))
        invoice = f"/contracts/{pk}/accounting/invoice/"
        run_concurrently([lambda b=b: b.post(invoice) for b in (self.browser, staff)])
        self.browser.post(invoice)
        drain(timeout=90)
        invoices = self.remote.count_invoices(self.reference(pk), self.link("order", pk).remote_id)
        return orders == 1 and invoices == 1, (
            f"5 send clicks (3 at once, 2 people) and 3 invoice clicks: {orders} order, "
            f"{invoices} invoice in {self.remote.name}")

    def monitor(self):
        pk = self.new_contract("6", self.CAR_AND_ADDON)
        self.remote.faults(server_error_rate=1.0, server_error_status=503)
        old = settings.SYNC_MAX_RETRIES
        settings.SYNC_MAX_RETRIES = 0  # fail at once instead of after five backoffs
        try:
            self.browser.post(f"/contracts/{pk}/accounting/send/")
            drain()
        finally:
            settings.SYNC_MAX_RETRIES = old
            self.remote.faults(reset=True)
        job = SyncJob.objects.get(operation="order.create", local_id=str(pk),
                                  connection=self.connection)
        failed = job.status
        listed = "order.create" in self.browser.get("/admin/integrations/synclogentry/").text
        self.browser.post(f"/admin/integrations/syncjob/{job.pk}/retry/")
        drain()
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
        encrypted = bool(stored) and "access_token" not in stored and not any(
            secret in stored for secret in self.remote.secrets())
        self.remote.before_disconnect(self.connection)
        self.browser.post("/settings/accounting/disconnect/")
        self.connection.refresh_from_db()
        refused = self.remote.refused_after_disconnect()
        cleared = (self.connection.status == Connection.Status.DISCONNECTED
                   and self.connection.credentials == {})
        ok = encrypted and refused and cleared
        return ok, (f"stored credentials {'are' if encrypted else 'are NOT'} encrypted; after "
                    f"disconnect: local credentials {'cleared' if cleared else 'NOT cleared'}, "
                    f"{self.remote.name} {'refuses' if refused else 'still accepts'} what we "
                    f"held (`make run` re-activates the demo company)")
