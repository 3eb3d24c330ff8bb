"""Fault injection: the failures a real provider shows now and then, on demand.

Per simulator (and optionally per tenant, whose settings then replace the provider-wide ones),
stored in `SandboxFaultConfig` so that the settings reach every thread and survive a request:
- server errors: a fraction of requests answered 500/503 in the provider's shape, before the
  view runs (nothing is written);
- a 429 burst: the next N requests answered 429 in the provider's shape;
- latency: milliseconds added to every request;
- lost responses: the next N matching requests (method, path prefix) do their work and commit,
  then the client gets a timeout, a reset or a truncated answer (see lostresponse.py).

Set them from tests with `configure()` / `lose_next_responses()`, or over HTTP with
POST /sandbox/<provider>/_control/faults. `Simulator.endpoint` applies them.
"""

import random
import time

from django.db.models import F, Q

from sandbox.framework import lostresponse
from sandbox.models import SandboxFaultConfig

FIELDS = {
    "server_error_rate": float,
    "server_error_status": int,
    "rate_limit_burst": int,
    "latency_ms": int,
    "lost_response_count": int,
    "lost_response_mode": str,
    "lost_response_method": str,
    "lost_response_path_prefix": str,
    "lost_response_delay_seconds": float,
}
SERVER_ERROR_STATUSES = (500, 502, 503, 504)

_random = random.Random()


class InvalidFaults(ValueError):
    """Settings that make no sense; `errors` maps field -> message."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def clean(settings):
    """Validated, typed settings from untrusted input (the control endpoint's JSON)."""
    errors, cleaned = {}, {}
    for name, value in settings.items():
        kind = FIELDS.get(name)
        if kind is None:
            errors[name] = "unknown fault setting"
            continue
        if isinstance(value, bool) or (kind is not str and not isinstance(value, int | float)):
            errors[name] = f"must be a {kind.__name__}"
            continue
        if kind is str and not isinstance(value, str):
            errors[name] = "must be a string"
            continue
        if kind is int and isinstance(value, float) and not value.is_integer():
            errors[name] = "must be a whole number"
            continue
        cleaned[name] = kind(value)
    rate = cleaned.get("server_error_rate")
    if rate is not None and not 0.0 <= rate <= 1.0:
        errors["server_error_rate"] = "must be between 0 and 1"
    status = cleaned.get("server_error_status")
    if status is not None and status not in SERVER_ERROR_STATUSES:
        errors["server_error_status"] = f"must be one of {SERVER_ERROR_STATUSES}"
    for name in ("rate_limit_burst", "latency_ms", "lost_response_count",
                 "lost_response_delay_seconds"):
        if cleaned.get(name, 0) < 0:
            errors[name] = "must not be negative"
    if cleaned.get("lost_response_mode", lostresponse.TIMEOUT) not in lostresponse.MODES:
        errors["lost_response_mode"] = f"must be one of {lostresponse.MODES}"
    if "lost_response_method" in cleaned:
        cleaned["lost_response_method"] = cleaned["lost_response_method"].upper()
    if errors:
        raise InvalidFaults(errors)
    return cleaned


def configure(provider, tenant=None, **settings):
    """Change the given settings (others keep their values) for `provider`, or for one of its
    tenants; returns the row."""
    settings = clean(settings)
    config, _ = SandboxFaultConfig.objects.get_or_create(provider=provider, tenant=tenant)
    for name, value in settings.items():
        setattr(config, name, value)
    config.save()
    return config


def lose_next_responses(provider, count=1, *, mode=lostresponse.TIMEOUT, method="POST",
                        path_prefix="", delay_seconds=None, tenant=None):
    """Lose the response of the next `count` requests with `method` ("" for any) whose path,
    relative to the simulator's root, starts with `path_prefix`, e.g.
    `lose_next_responses("<slug>", path_prefix="/v2/SalesOrders", mode="reset")`."""
    settings = {"lost_response_count": count, "lost_response_mode": mode,
                "lost_response_method": method, "lost_response_path_prefix": path_prefix}
    if delay_seconds is not None:
        settings["lost_response_delay_seconds"] = delay_seconds
    return configure(provider, tenant, **settings)


def clear(provider, tenant=None):
    """Remove the provider-wide settings (or one tenant's)."""
    SandboxFaultConfig.objects.filter(provider=provider, tenant=tenant).delete()


def current(provider, tenant=None):
    """The settings that apply to a request of `tenant`: its own row, else the provider's."""
    scope = Q(tenant__isnull=True) if tenant is None else Q(tenant=tenant) | Q(tenant__isnull=True)
    rows = list(SandboxFaultConfig.objects.filter(scope, provider=provider))
    return next((row for row in rows if row.tenant_id), rows[0] if rows else None)


def as_json(config):
    body = {name: getattr(config, name) for name in FIELDS}
    body["tenant"] = config.tenant.external_id if config.tenant_id else None
    return body


def _spend(config, counter):
    """Take one unit of a counter; True for as many callers as there were units."""
    taken = SandboxFaultConfig.objects.filter(pk=config.pk, **{f"{counter}__gt": 0}).update(
        **{counter: F(counter) - 1}
    )
    return bool(taken)


def before_view(config, request, *, server_error, rate_limited):
    """Latency, then a 429 from the burst, then a random server error. Returns the response
    to answer with instead of running the view, or None."""
    if config.latency_ms:
        time.sleep(config.latency_ms / 1000)
    if config.rate_limit_burst and _spend(config, "rate_limit_burst"):
        return rate_limited(request, 1)
    if config.server_error_rate and _random.random() < config.server_error_rate:
        return server_error(request, config.server_error_status)
    return None


def _relative_path(request, provider):
    marker = f"/{provider}/"
    index = request.path.find(marker)
    return request.path[index + len(marker) - 1:] if index >= 0 else request.path


def _targets(config, request, provider):
    if config.lost_response_method and request.method != config.lost_response_method:
        return False
    prefix = config.lost_response_path_prefix
    return (not prefix or _relative_path(request, provider).startswith(prefix)
            or request.path.startswith(prefix))


def after_view(config, request, response, *, provider):
    """Lose a successful response if a lost-response fault targets this request."""
    if not (config.lost_response_count and 200 <= response.status_code < 300):
        return response
    if not _targets(config, request, provider) or not _spend(config, "lost_response_count"):
        return response
    return lostresponse.lose(response, config.lost_response_mode,
                             delay_seconds=config.lost_response_delay_seconds)
