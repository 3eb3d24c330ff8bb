"""`make run PORT=... SANDBOX_PORT=...`: the development .env follows the ports, and the
sandbox accepts the callback on any loopback port (RFC 8252, 7.3)."""

import pytest

from config import write_dev_env


def test_a_new_env_and_an_existing_one_follow_the_ports(tmp_path):
    target = tmp_path / ".env"
    write_dev_env.main([str(target), "--port", "18200", "--sandbox-port", "18201"])
    first = write_dev_env.values(target.read_text())
    assert first["APP_BASE_URL"] == "http://127.0.0.1:18200"
    assert first["FORTNOX_AUTH_URL"] == "http://127.0.0.1:18201/sandbox/fortnox/oauth-v1"
    assert first["POWEROFFICE_GO_BASE_URL"].startswith("http://127.0.0.1:18201/")
    target.write_text(target.read_text().replace(
        "FORTNOX_BASE_URL=http://127.0.0.1:18201/sandbox/fortnox",
        "FORTNOX_BASE_URL=https://api.fortnox.se"))
    write_dev_env.main([str(target), "--port", "18300", "--sandbox-port", "18301"])
    second = write_dev_env.values(target.read_text())
    assert second["APP_BASE_URL"] == "http://127.0.0.1:18300"
    assert second["FORTNOX_AUTH_URL"].startswith("http://127.0.0.1:18301/")
    assert second["FORTNOX_BASE_URL"] == "https://api.fortnox.se"  # not a local address: kept
    assert second["SECRET_KEY"] == first["SECRET_KEY"]


@pytest.mark.django_db
def test_the_sandbox_allows_the_registered_callback_on_another_loopback_port(client):
    from sandbox.fortnox import seed

    seed.seed_demo()
    moved = seed.DEMO_REDIRECT_URI.replace(":8000/", ":18200/")
    elsewhere = seed.DEMO_REDIRECT_URI.replace("127.0.0.1:8000", "evil.example:8000")
    base = "/sandbox/fortnox/oauth-v1/auth"
    query = {"client_id": seed.DEMO_CLIENT_ID, "response_type": "code", "scope": "customer",
             "state": "s"}
    assert client.get(base, {**query, "redirect_uri": moved}).status_code == 200
    assert client.get(base, {**query, "redirect_uri": elsewhere}).status_code == 400
