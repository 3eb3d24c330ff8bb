"""/api/docs/ renders our API's operations in Chromium with no network beyond our own server."""

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_offline(chromium, live_server, shot):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    hosts = set()
    context.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".opblock", timeout=30_000)
        shot(page, "api-docs")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/integrations/" in p for p in paths)
    finally:
        context.close()
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
