"""The dealer's story driven like a person drives it, over HTTP: log in, fill in a contract,
click the buttons, read the pages; and what the accountant does in PowerOffice Go (the sandbox's
accountant page). Used by the acceptance run (`make demo`) and the end-to-end tests.

Jobs run through `drain()`, which calls the same `run_job` the django-q2 worker calls, in this
process, so a run needs no worker; the scheduled poll is `PowerOfficeGo.poll_all`, called the same
way the schedule calls it.
"""

import re
import threading
import time
from urllib.parse import urljoin

import requests
from django.utils import timezone

from integrations.models import SyncJob

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
            token = self.session.cookies.get("csrftoken") or _csrf_in(page.text)
        return token

    def post(self, path, data=None, *, json=None, referer=None, **kwargs):
        headers = {"X-CSRFToken": self.csrf(), "Referer": referer or self.url(path)}
        return self.session.post(self.url(path), data=data, json=json, headers=headers,
                                 timeout=60, **kwargs)

    def login(self, username, password):
        page = self.get("/login/")
        response = self.session.post(self.url("/login/"), timeout=60, data={
            "username": username, "password": password,
            "csrfmiddlewaretoken": _csrf_in(page.text)}, headers={"Referer": self.url("/login/")})
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
            raise AssertionError(f"the contract form did not save: {_errors_in(response.text)}")
        return int(found.group(1))


def _csrf_in(html):
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


def _errors_in(html):
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


class PowerOfficeGoSandbox:
    """What we ask PowerOffice Go (the sandbox) directly, as its accountant or its API would
    answer: with the client key, our application and subscription keys."""

    def __init__(self, base, *, application_key, subscription_key):
        self.base = base.rstrip("/")
        self.application_key = application_key
        self.subscription_key = subscription_key
        self.session = requests.Session()

    def _send(self, method, url, **kwargs):
        """One request; these checks share our subscription key's 10 per second with the hub,
        so a 429 is waited out (Retry-After) rather than read as an answer."""
        for _ in range(10):
            response = self.session.request(method, url, timeout=30, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("Retry-After") or 1))
        return response

    def token(self, client_key):
        return self._send("POST", f"{self.base}/OAuth/Token",
                          data={"grant_type": "client_credentials"},
                          auth=(self.application_key, client_key),
                          headers={"Ocp-Apim-Subscription-Key": self.subscription_key})

    def api(self, client_key, path, params=None):
        token = self.token(client_key).json()["access_token"]
        response = self._send(
            "GET", f"{self.base}/v2/{path.lstrip('/')}", params=params,
            headers={"Authorization": f"Bearer {token}",
                     "Ocp-Apim-Subscription-Key": self.subscription_key})
        if response.status_code == 204:
            return []
        response.raise_for_status()
        return response.json()

    def register_payment(self, *, tenant, invoice_id, amount, paid_on=None):
        """The accountant page's form: register a payment on one invoice."""
        page = self.session.get(f"{self.base}/accountant/", params={"tenant": tenant},
                                timeout=30)
        response = self.session.post(
            f"{self.base}/accountant/", timeout=30,
            data={"csrfmiddlewaretoken": _csrf_in(page.text), "tenant": tenant,
                  "invoice": invoice_id, "amount": str(amount).replace(".", ","),
                  "paid_on": (paid_on or timezone.localdate()).isoformat()},
            headers={"Referer": page.url})
        if response.status_code >= 400:
            raise AssertionError(
                f"the accountant page refused the payment ({response.status_code})")
        return response

    def faults(self, **settings):
        response = self.session.post(f"{self.base}/_control/faults", json=settings, timeout=30)
        response.raise_for_status()
        return response.json()
