"""Playwright for Python driving the system's Chromium (Debian's `chromium` package, which
`.ci/run` and `make test` install when missing; Playwright's own browser download is not used).

The app and the sandbox are the live server (one thread, real HTTP); jobs are run by
`drain()`, the worker's own `run_job`, so a test decides when the queue works. Without a
Chromium the tests skip, saying so. `BROWSER_SCREENSHOTS=<dir>` keeps a screenshot of every
page a test looked at (named after the test), for people to look at."""

import os
import re
import shutil
import time
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make in
# between are ordinary blocking calls, not coroutines.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = (os.environ.get("CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser"))
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - installed by `make test`
    sync_playwright = None

WHY_SKIPPED = (
    "no Chromium: install Debian's package (`apt-get install -y chromium`, which .ci/run and "
    "`make test` do when they can) or set CHROMIUM=/path/to/chromium"
    if CHROMIUM is None else "the playwright package is missing: run `make test` (it installs it)")
PASSWORD = "demo1234"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM is not None and sync_playwright is not None:
        return
    skip = pytest.mark.skip(reason=WHY_SKIPPED)
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        # Root (CI) cannot use Chromium's sandbox; the pages are our own.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


class Shots:
    """Screenshots of what a test saw, when BROWSER_SCREENSHOTS names a folder."""

    def __init__(self, name):
        folder = os.environ.get("BROWSER_SCREENSHOTS", "")
        self.folder = Path(folder) if folder else None
        self.name = re.sub(r"[^\w-]+", "_", name)[:60]
        self.count = 0

    def __call__(self, page, label):
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.name}-{self.count:02d}-{label}.png"),
                        full_page=True)


@pytest.fixture
def shot(request):
    return Shots(request.node.name)


@pytest.fixture
def demo(live_server, settings):
    """The demo data, with both providers pointed at the sandbox on the live server."""
    from django.core.cache import cache
    from django.core.management import call_command

    from sandbox.fortnox import seed as fortnox_seed
    from sandbox.framework import ratelimit as sandbox_ratelimit
    from sandbox.poweroffice_go import seed as pogo_seed

    # 127.0.0.1 as `make run` serves it: the sandbox's registered Fortnox callback is
    # http://127.0.0.1:8000/..., and a loopback callback on another port is accepted (RFC 8252).
    url = live_server.url.replace("//localhost:", "//127.0.0.1:")
    go = f"{url}/sandbox/poweroffice_go"
    fortnox = f"{url}/sandbox/fortnox"
    settings.APP_BASE_URL = url
    settings.POWEROFFICE_GO_BASE_URL = go
    settings.POWEROFFICE_GO_WEB_URL = f"{go}/go"
    settings.POWEROFFICE_GO_APPLICATION_KEY = pogo_seed.APPLICATION_KEY
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = pogo_seed.SUBSCRIPTION_KEY
    settings.FORTNOX_BASE_URL = fortnox
    settings.FORTNOX_AUTH_URL = f"{fortnox}/oauth-v1"
    settings.FORTNOX_WEB_URL = f"{fortnox}/app"
    settings.FORTNOX_CLIENT_ID = fortnox_seed.DEMO_CLIENT_ID
    settings.FORTNOX_CLIENT_SECRET = fortnox_seed.DEMO_CLIENT_SECRET
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    cache.clear()
    call_command("sandbox_seed", verbosity=0)
    call_command("load_demo", verbosity=0)
    sandbox_ratelimit.reset_all()
    return {"url": url, "go": go, "fortnox": fortnox}


@pytest.fixture
def browse(chromium, demo):
    """browse(username) -> a logged-in page (1280 x 900, the browser's language Norwegian)."""
    contexts = []

    def open_as(username, *, locale="nb-NO"):
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{demo['url']}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r".*/$"))
        page.base = demo["url"]
        return page

    yield open_as
    for context in contexts:
        context.close()


def drain(*, timeout=60.0):
    """Run every due job the way the worker does, until none is queued or waiting."""
    from django.utils import timezone

    from integrations.engine import run_job
    from integrations.models import SyncJob

    active = (SyncJob.Status.QUEUED, SyncJob.Status.RUNNING, SyncJob.Status.UNKNOWN)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = SyncJob.objects.filter(status__in=active)
        if not jobs.exists():
            return True
        due = list(jobs.filter(next_attempt_at__lte=timezone.now())
                   .exclude(status=SyncJob.Status.RUNNING).values_list("pk", flat=True))
        for pk in due:
            run_job(pk)
        if not due:
            time.sleep(0.2)
    return False
