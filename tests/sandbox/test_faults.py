"""Fault injection through the Python API and the control endpoint: server errors, 429 bursts,
latency, per-tenant settings, and which requests a lost-response fault targets."""

import time

import pytest

from sandbox.framework import faults, tokens
from sandbox.models import SandboxFaultConfig, SandboxRecord
from tests.sandbox import fake_provider
from tests.sandbox.conftest import CLIENT_ID, CLIENT_SECRET, form_post

pytestmark = pytest.mark.urls("tests.sandbox.urls")

INVOICES = "/sandbox/fake/api/invoices"
CONTROL = "/sandbox/fake/_control/faults"


def post_invoice(client, headers, total=1000):
    return client.post(INVOICES, {"Customer": "Kari Nordmann", "Total": total},
                       content_type="application/json", headers=headers)


def test_a_server_error_rate_of_one_fails_every_request_before_anything_is_written(
        client, tenant, bearer):
    headers = bearer(tenant)
    faults.configure("fake", server_error_rate=1.0)

    failed = post_invoice(client, headers)
    faults.configure("fake", server_error_status=503)
    unavailable = client.get(INVOICES, headers=headers)

    assert failed.status_code == 500
    assert failed.json() == {"ErrorInformation": {
        "error": 1, "message": "Ett internt systemfel uppstod.", "code": 1000003}}
    assert unavailable.status_code == 503
    assert not SandboxRecord.objects.exists()


def test_a_partial_server_error_rate_fails_some_requests(client, tenant, bearer):
    headers = bearer(tenant)
    faults.configure("fake", server_error_rate=0.5)

    statuses = {client.get(INVOICES, headers=headers).status_code for _ in range(30)}

    assert statuses == {200, 500}


def test_server_errors_come_in_each_providers_shape(client, make_tenant, bearer):
    po, visma = make_tenant("fake_po"), make_tenant("fake_visma")
    faults.configure("fake_po", server_error_rate=1.0)
    faults.configure("fake_visma", server_error_rate=1.0, server_error_status=503)

    po_error = client.get("/sandbox/fake_po/api/me", headers=bearer(po))
    visma_error = client.get("/sandbox/fake_visma/api/me", headers=bearer(visma))

    assert po_error.status_code == 500
    assert po_error["Content-Type"] == "application/problem+json"
    assert set(po_error.json()) == {"type", "title", "status"}
    assert po_error.json()["status"] == 500
    assert visma_error.status_code == 503
    assert visma_error.json()["ErrorCode"] == 5001


def test_faults_reach_the_token_endpoint_too(client, tenant, make_client):
    make_client()
    issued = tokens.issue_tokens("fake", tenant=tenant, client_id=CLIENT_ID, refresh_ttl=3600)
    faults.configure("fake", server_error_rate=1.0, server_error_status=503)

    refused = form_post(client, "/sandbox/fake/oauth/token",
                        {"grant_type": "refresh_token", "refresh_token": issued.refresh_token,
                         "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})

    assert refused.status_code == 503
    faults.clear("fake")
    # The failed attempt did not spend the refresh token.
    assert tokens.refresh_tokens("fake", issued.refresh_token, client_id=CLIENT_ID)


def test_a_429_burst_answers_the_next_n_requests_then_stops(client, make_tenant, bearer):
    headers = bearer(make_tenant("fake_fortnox"))
    faults.configure("fake_fortnox", rate_limit_burst=3)

    responses = [client.get("/sandbox/fake_fortnox/api/me", headers=headers)
                 for _ in range(4)]

    assert [r.status_code for r in responses] == [429, 429, 429, 200]
    assert responses[0].json() == {"message": "Too Many Requests"}
    assert faults.current("fake_fortnox").rate_limit_burst == 0
    # Injected 429s are not requests the limiter admitted.
    assert len(fake_provider.FAKE_FORTNOX.rate_limit.admitted()) == 1


def test_latency_delays_every_request(client, tenant, bearer):
    headers = bearer(tenant)
    faults.configure("fake", latency_ms=250)

    started = time.monotonic()
    response = client.get(INVOICES, headers=headers)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.25


def test_a_tenants_own_faults_replace_the_provider_wide_ones(client, make_tenant, bearer):
    nordbil, frost = make_tenant(name="Nordbil"), make_tenant(name="Frost")
    faults.configure("fake", nordbil, server_error_rate=1.0)

    assert client.get(INVOICES, headers=bearer(nordbil)).status_code == 500
    assert client.get(INVOICES, headers=bearer(frost)).status_code == 200

    faults.configure("fake", rate_limit_burst=5)
    assert client.get(INVOICES, headers=bearer(frost)).status_code == 429
    assert client.get(INVOICES, headers=bearer(nordbil)).status_code == 500


def test_a_lost_response_targets_only_successful_matching_requests(client, tenant, bearer):
    headers = bearer(tenant)
    faults.lose_next_responses("fake", mode="truncate", method="POST",
                               path_prefix="/api/invoices")

    listed = client.get(INVOICES, headers=headers)
    refused = client.post(INVOICES, {"Bogus": 1}, content_type="application/json",
                          headers=headers)
    lost = post_invoice(client, headers)
    normal = post_invoice(client, headers)

    assert listed.status_code == 200 and refused.status_code == 400
    # Without a socket (the test client) the loss degrades to an overstated Content-Length.
    assert int(lost["Content-Length"]) > len(lost.content)
    assert "Content-Length" not in normal or int(normal["Content-Length"]) == len(normal.content)
    assert SandboxRecord.objects.count() == 2
    assert faults.current("fake").lost_response_count == 0


def test_the_control_endpoint_sets_reads_and_resets_faults(client, tenant):
    set_all = client.post(CONTROL, {"server_error_rate": 0.25, "latency_ms": 10,
                                    "lost_response_count": 1, "lost_response_mode": "reset",
                                    "lost_response_method": "post",
                                    "lost_response_path_prefix": "/api/invoices"},
                          content_type="application/json")
    set_tenant = client.post(CONTROL, {"tenant": tenant.external_id, "rate_limit_burst": 2},
                             content_type="application/json")
    read = client.get(CONTROL).json()

    assert set_all.status_code == 200
    assert set_all.json()["faults"]["lost_response_method"] == "POST"
    assert set_tenant.json()["faults"]["tenant"] == tenant.external_id
    assert {row["tenant"] for row in read["faults"]} == {None, tenant.external_id}
    provider_wide = next(row for row in read["faults"] if row["tenant"] is None)
    assert provider_wide["server_error_rate"] == 0.25
    assert provider_wide["lost_response_mode"] == "reset"

    reset = client.post(CONTROL, {"reset": True}, content_type="application/json")
    assert reset.json()["faults"] is None
    assert list(SandboxFaultConfig.objects.values_list("tenant", flat=True)) == [tenant.pk]


def test_the_control_endpoint_refuses_nonsense(client, db):
    def post(body, **kwargs):
        kwargs.setdefault("content_type", "application/json")
        return client.post(CONTROL, body, **kwargs)

    unknown = post({"server_error_rat": 0.5})
    out_of_range = post({"server_error_rate": 2, "server_error_status": 404,
                         "lost_response_mode": "vanish", "latency_ms": -1})
    wrong_type = post({"latency_ms": "slow"})
    no_tenant = post({"tenant": "nobody", "latency_ms": 1})
    not_json = client.post(CONTROL, {"latency_ms": 1})

    assert unknown.status_code == 400 and "server_error_rat" in unknown.json()["errors"]
    assert set(out_of_range.json()["errors"]) == {"server_error_rate", "server_error_status",
                                                  "lost_response_mode", "latency_ms"}
    assert wrong_type.status_code == 400
    assert no_tenant.status_code == 404
    assert not_json.status_code == 415
    assert not SandboxFaultConfig.objects.exists()
    with pytest.raises(faults.InvalidFaults):
        faults.configure("fake", server_error_rate=-0.1)
