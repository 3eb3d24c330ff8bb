"""Issuing, redeeming, validating and revoking the simulated providers' OAuth credentials.

The rules our clients must survive are the strict ones the real providers have: authorization
codes work once and for 10 minutes, refresh tokens work once and rotate on every refresh
(as some providers do), so a client that loses the new refresh token, or refreshes
twice at once, is locked out with `invalid_grant`. Single use is enforced by a conditional
UPDATE (`used_at IS NULL`), so of two concurrent redemptions exactly one wins, on PostgreSQL as
on SQLite. Tokens are opaque random strings (`secrets.token_urlsafe`), scoped to one provider
and one tenant.
"""

import base64
import binascii
import functools
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote

from django.utils import timezone

from sandbox.models import SandboxClient, SandboxToken

ACCESS, REFRESH, CODE = SandboxToken.ACCESS, SandboxToken.REFRESH, SandboxToken.CODE

# Why a bearer token was refused; the provider's `unauthorized` builder may word them apart.
MISSING, INVALID, EXPIRED, REVOKED = "missing", "invalid", "expired", "revoked"


class OAuthError(Exception):
    """A token-endpoint failure in RFC 6749 terms; the OAuth views answer with
    `errors.oauth_error(error, description, status)`."""

    def __init__(self, error, description, status=400):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str | None = None
    scope: str = ""

    def as_oauth_json(self):
        """The token endpoint's success body."""
        body = {"access_token": self.access_token, "token_type": "bearer",
                "expires_in": self.expires_in}
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.scope:
            body["scope"] = self.scope
        return body


def new_token_value():
    return secrets.token_urlsafe(32)


def _store(provider, kind, tenant, client_id, ttl, *, scope="", redirect_uri="", value=None):
    return SandboxToken.objects.create(
        provider=provider, kind=kind, tenant=tenant, client_id=client_id, scope=scope,
        redirect_uri=redirect_uri, value=value or new_token_value(),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )


def issue_access_token(provider, *, tenant, client_id, scope="", ttl=3600, value=None):
    """One access token (the client-credentials grant has nothing else). `value` lets a
    simulator shape its tokens, e.g. as a JWT carrying a tenant claim."""
    return _store(provider, ACCESS, tenant, client_id, ttl, scope=scope, value=value)


def issue_tokens(provider, *, tenant, client_id, scope="", access_ttl=3600, refresh_ttl=None):
    """An access token, plus a refresh token when `refresh_ttl` (seconds) is given."""
    access = issue_access_token(provider, tenant=tenant, client_id=client_id, scope=scope,
                                ttl=access_ttl)
    refresh = None
    if refresh_ttl:
        refresh = _store(provider, REFRESH, tenant, client_id, refresh_ttl, scope=scope).value
    return IssuedTokens(access.value, access_ttl, refresh, scope)


def issue_authorization_code(provider, *, tenant, client_id, redirect_uri="", scope="",
                             ttl=600):
    """A single-use code for the consent redirect; 10 minutes unless told otherwise."""
    return _store(provider, CODE, tenant, client_id, ttl, scope=scope,
                  redirect_uri=redirect_uri).value


def _find(provider, kind, value):
    if not value:
        return None
    return (SandboxToken.objects.select_related("tenant")
            .filter(provider=provider, kind=kind, value=value).first())


def _consume(token):
    """Spend a single-use token; True for exactly one caller."""
    now = timezone.now()
    return bool(SandboxToken.objects.filter(pk=token.pk, used_at__isnull=True,
                                            revoked_at__isnull=True,
                                            expires_at__gt=now).update(used_at=now))


def redeem_authorization_code(provider, code, *, client_id, redirect_uri="", access_ttl=3600,
                              refresh_ttl=None):
    """Tokens for a code, once. A used, expired or foreign code, or a redirect_uri that differs
    from the one sent at authorization, raises OAuthError("invalid_grant")."""
    token = _find(provider, CODE, code)
    if token is None or token.client_id != client_id:
        raise OAuthError("invalid_grant", "The authorization code is invalid.")
    if token.redirect_uri and token.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "The redirect_uri does not match the one used "
                                          "for authorization.")
    if not _consume(token):
        raise OAuthError("invalid_grant", "The authorization code has expired or was "
                                          "already used.")
    return issue_tokens(provider, tenant=token.tenant, client_id=client_id, scope=token.scope,
                        access_ttl=access_ttl, refresh_ttl=refresh_ttl)


def refresh_tokens(provider, refresh_token, *, client_id, access_ttl=3600, refresh_ttl=None,
                   rotate=True):
    """A new access token for a refresh token. With `rotate` (the default) the refresh token is
    spent and a new one issued, so presenting it again raises OAuthError("invalid_grant");
    without, the same refresh token comes back and stays valid."""
    token = _find(provider, REFRESH, refresh_token)
    if token is None or token.client_id != client_id:
        raise OAuthError("invalid_grant", "Invalid refresh token.")
    if not rotate:
        if token.revoked_at or token.expires_at <= timezone.now():
            raise OAuthError("invalid_grant", "Invalid refresh token.")
        access = issue_access_token(provider, tenant=token.tenant, client_id=client_id,
                                    scope=token.scope, ttl=access_ttl)
        return IssuedTokens(access.value, access_ttl, token.value, token.scope)
    if not _consume(token):
        raise OAuthError("invalid_grant", "Invalid refresh token: it has expired, was revoked "
                                          "or was already used.")
    remaining = int((token.expires_at - timezone.now()).total_seconds())
    return issue_tokens(provider, tenant=token.tenant, client_id=client_id, scope=token.scope,
                        access_ttl=access_ttl, refresh_ttl=refresh_ttl or max(remaining, 1))


def validate_access_token(provider, value):
    """(token, None) for a live access token of `provider`, else (None, reason)."""
    token = _find(provider, ACCESS, value)
    if token is None:
        return None, INVALID
    if token.revoked_at:
        return None, REVOKED
    if token.expires_at <= timezone.now():
        return None, EXPIRED
    return token, None


def revoke_token(provider, value, *, client_id=None):
    """Revoke one token of any kind; True if it existed (and belonged to `client_id`)."""
    tokens = SandboxToken.objects.filter(provider=provider, value=value, revoked_at__isnull=True)
    if client_id is not None:
        tokens = tokens.filter(client_id=client_id)
    return bool(tokens.update(revoked_at=timezone.now()))


def revoke_tenant_tokens(provider, tenant, *, client_id=None):
    """Every live token of a tenant, as when the customer withdraws consent."""
    tokens = SandboxToken.objects.filter(provider=provider, tenant=tenant,
                                         revoked_at__isnull=True)
    if client_id is not None:
        tokens = tokens.filter(client_id=client_id)
    return tokens.update(revoked_at=timezone.now())


def expire_tokens(provider, *, tenant=None, kind=ACCESS, value=None):
    """Make tokens expired now, so tests need not wait an hour. `kind=None` expires all kinds.
    Returns how many."""
    tokens = SandboxToken.objects.filter(provider=provider, expires_at__gt=timezone.now())
    if tenant is not None:
        tokens = tokens.filter(tenant=tenant)
    if kind is not None:
        tokens = tokens.filter(kind=kind)
    if value is not None:
        tokens = tokens.filter(value=value)
    return tokens.update(expires_at=timezone.now() - timedelta(seconds=1))


# -- reading credentials from requests ----------------------------------------------------------

def bearer_token(request):
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def basic_credentials(request):
    """(user, password) from `Authorization: Basic`, or None. OAuth clients form-encode both
    parts before base64 (RFC 6749 2.3.1), so they are unquoted."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (unquote(user), unquote(password)) if sep else None


def authenticate_client(provider, request):
    """The registered client whose id and secret came with the request, by Basic auth or in
    the form body (client_secret_post), else None."""
    credentials = basic_credentials(request)
    if credentials is None:
        client_id = request.POST.get("client_id", "")
        credentials = (client_id, request.POST.get("client_secret", ""))
    client_id, secret = credentials
    client = SandboxClient.objects.filter(provider=provider, client_id=client_id).first()
    if client is None or not client.secret_matches(secret):
        return None
    return client


def authenticate_bearer(provider, request):
    """Check the request's bearer token; on success set `request.sandbox_token` and
    `request.sandbox_tenant` and return None, else return the reason it was refused."""
    value = bearer_token(request)
    if value is None:
        return MISSING
    token, reason = validate_access_token(provider, value)
    if token is None:
        return reason
    request.sandbox_token = token
    request.sandbox_tenant = token.tenant
    return None


def require_bearer(provider, *, unauthorized):
    """View decorator: a live access token of `provider`, else `unauthorized(request, reason)`
    in the provider's own 401 shape. (`Simulator.endpoint` does this for you.)"""

    def decorate(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            reason = authenticate_bearer(provider, request)
            if reason is not None:
                return unauthorized(request, reason)
            return view(request, *args, **kwargs)

        return checked

    return decorate
