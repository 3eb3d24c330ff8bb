"""The registry's aliases (generic; Visma eAccounting's `visma` is the case at hand): the seed's
URLs and commands name the provider by its alias and reach it, unknown names stay unknown."""

import pytest

from integrations.providers import registry


def test_an_alias_resolves_to_its_provider_and_a_key_to_itself():
    assert registry.resolve("visma") == "visma_eaccounting"
    assert registry.get("visma") is registry.get("visma_eaccounting")
    assert registry.resolve("visma_eaccounting") == "visma_eaccounting"
    assert registry.resolve("no-such-provider") == "no-such-provider"
    with pytest.raises(LookupError):
        registry.get("no-such-provider")


@pytest.mark.django_db
def test_the_webhook_url_under_the_alias_is_the_providers(client):
    answer = client.post("/api/webhooks/visma", data=b"{}", content_type="application/json")
    assert answer.status_code == 400  # reached Visma's verification, not "unknown provider"
    assert client.post("/api/webhooks/nosuch", data=b"{}",
                       content_type="application/json").status_code == 404
