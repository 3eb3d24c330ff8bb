"""No secret in a primary key, an admin page or an admin URL: every registered provider's limiter
key, and every page of Django admin (each registered model's list and one object's change page)
after secrets of every kind were stored, looked at as a superuser would."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounting import rls
from integrations.models import Connection, RateLimitBucket
from integrations.providers import registry
from integrations.webhooks import new_secret

pytestmark = pytest.mark.django_db

MARK = "S3CRETMARK"


@pytest.fixture
def secret_settings(settings):
    """Every credential-like setting of every provider holds a recognisable secret."""
    for name in dir(settings):
        if name.isupper() and re.search(r"KEY|SECRET|TOKEN|PASSWORD", name) and isinstance(
                getattr(settings, name), str) and name not in ("SECRET_KEY",):
            setattr(settings, name, f"{MARK}-{name.lower()}")
    return settings


@pytest.fixture
def stored_secrets(org, secret_settings):
    plain = []
    for key in registry.keys():
        connection = Connection(organization=org, provider=key,
                                status=Connection.Status.CONNECTED,
                                remote_tenant_id=f"tenant-{key}")
        connection.set_credentials({"access_token": f"{MARK}-at-{key}",
                                    "refresh_token": f"{MARK}-rt-{key}",
                                    "client_key": f"{MARK}-ck-{key}"})
        connection.save()
        plain.append(new_secret(connection))
        provider = registry.get(key)(connection)
        RateLimitBucket.objects.get_or_create(key=provider.rate_limit_key("/v2/customers/1"))
    return plain


def test_no_limiter_key_holds_a_secret(stored_secrets):
    keys = list(RateLimitBucket.objects.values_list("key", flat=True))
    assert len(keys) >= len(registry.keys()) >= 2
    assert [k for k in keys if MARK in k or any(s in k for s in stored_secrets)] == []


def test_no_admin_page_or_admin_url_shows_a_secret(stored_secrets, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="pw-123456")
    client = Client()
    client.force_login(superuser)
    pages = 0
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        urls = [changelist]
        with rls.rls_bypass("test: one object of each model"):
            obj = model._default_manager.first()
        if obj is not None:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change",
                                args=[obj.pk]))
        for url in urls:
            answer = client.get(url)
            assert answer.status_code in (200, 302, 403), (url, answer.status_code)
            html = answer.content.decode()
            assert MARK not in url and MARK not in html, url
            assert not [s for s in stored_secrets if s in html or s in url], url
            pages += 1
    assert pages > len(admin.site._registry)
