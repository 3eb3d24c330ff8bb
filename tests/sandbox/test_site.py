"""The /sandbox/ index, the URL patterns that mount simulators, and what a Simulator refuses."""

import pytest
from django.http import JsonResponse
from django.urls import reverse

from sandbox import registry
from sandbox.fortnox import errors as fortnox_errors
from sandbox.framework.simulator import Simulator
from sandbox.framework.site import sandbox_urlpatterns
from sandbox.poweroffice_go import errors as pogo_errors
from tests.sandbox import fake_provider


def simulator(slug="fake_x", **kwargs):
    return Simulator(slug, "X", unauthorized=fortnox_errors.unauthorized,
                     server_error=fortnox_errors.server_error,
                     rate_limited=fortnox_errors.rate_limited, **kwargs)


@pytest.mark.urls("tests.sandbox.urls")
def test_the_index_lists_every_mounted_simulator_with_its_pages(client, db):
    page = client.get("/sandbox/")

    html = page.content.decode()
    assert page.status_code == 200
    for mounted in fake_provider.SIMULATORS:
        assert mounted.name in html
        assert f'href="{mounted.slug}/accountant/"' in html
        assert f'href="{mounted.slug}/_control/faults"' in html
    assert client.get("/sandbox/fake/accountant/").status_code == 200


@pytest.mark.urls("tests.sandbox.urls")
def test_simulator_pages_have_namespaced_names():
    assert reverse("sandbox:index") == "/sandbox/"
    assert reverse("sandbox:fake_po:accountant") == "/sandbox/fake_po/accountant/"
    assert reverse("sandbox:fake:invoices") == "/sandbox/fake/api/invoices"


@pytest.mark.urls("sandbox.urls")
def test_the_real_sandbox_index_serves_the_registry(client, db):
    page = client.get("/")

    assert page.status_code == 200
    assert all(entry.name in page.content.decode() for entry in registry.SIMULATORS)


def test_the_registry_finds_simulators_by_slug(monkeypatch):
    entry = simulator()
    monkeypatch.setattr(registry, "SIMULATORS", [entry])

    assert registry.get("fake_x") is entry
    assert registry.get("nope") is None


def test_a_simulator_needs_a_url_safe_slug_and_mounting_one_twice_fails():
    with pytest.raises(ValueError):
        simulator("Fort Nox")
    with pytest.raises(ValueError, match="twice"):
        sandbox_urlpatterns([simulator(), simulator()])


@pytest.mark.urls("tests.sandbox.urls")
def test_endpoints_refuse_methods_they_do_not_serve(client, tenant, bearer):
    response = client.delete("/sandbox/fake/api/invoices", headers=bearer(tenant))

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_a_gateway_check_runs_before_authentication(rf, db):
    def subscription_key_required(request):
        if "Ocp-Apim-Subscription-Key" not in request.headers:
            return pogo_errors.missing_subscription_key(request)
        return None

    gated = simulator(gateway_check=subscription_key_required)

    @gated.endpoint(auth=False)
    def view(request):
        return JsonResponse({"ok": True})

    refused = view(rf.get("/"))
    passed = view(rf.get("/", headers={"Ocp-Apim-Subscription-Key": "k"}))

    assert refused.status_code == 401 and b"subscription key" in refused.content
    assert passed.status_code == 200
