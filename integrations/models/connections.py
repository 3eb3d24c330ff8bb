"""A connection to a provider account with its encrypted credentials, the organization's
defaults per provider, the secrets that sign inbound webhooks, and single-use connect states."""

import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from fernet_fields import EncryptedTextField

from accounting.tenancy import TenantModel


class Connection(TenantModel):
    """One organization's link to one provider account, with its encrypted credentials."""

    class Status(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        NEEDS_REAUTH = "needs_reauth", _("Needs re-authorization")
        DISCONNECTED = "disconnected", _("Disconnected")

    provider = models.CharField(_("provider"), max_length=40)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DISCONNECTED)
    # JSON of the provider's secrets (access/refresh tokens, client keys); never shown anywhere.
    encrypted_credentials = EncryptedTextField(blank=True, default="")
    # Not secret, and fernet's datetime field is broken on psycopg 3: a plain column.
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    # Bumped on every credential change so a worker can tell "someone refreshed since I looked".
    credentials_version = models.PositiveIntegerField(_("credentials version"), default=0)
    remote_company_name = models.CharField(_("company at the provider"), max_length=200, blank=True)
    remote_tenant_id = models.CharField(_("tenant id at the provider"), max_length=100, blank=True)
    status_reason = models.TextField(_("status reason"), blank=True)
    last_sync_at = models.DateTimeField(_("last synchronized"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="connection_one_per_provider"
            )
        ]

    def __str__(self):
        return f"{self.provider_name} ({self.get_status_display()})"

    @property
    def provider_name(self):
        from integrations.providers import registry

        return registry.name_of(self.provider)

    @property
    def credentials(self) -> dict:
        return json.loads(self.encrypted_credentials) if self.encrypted_credentials else {}

    def set_credentials(self, credentials: dict, *, expires_at=None):
        self.encrypted_credentials = json.dumps(credentials) if credentials else ""
        self.token_expires_at = expires_at
        self.credentials_version += 1

    def clear_credentials(self):
        self.set_credentials({})

    def token_expires_within(self, seconds) -> bool:
        if self.token_expires_at is None:
            return not self.credentials.get("access_token")
        return self.token_expires_at <= timezone.now() + timezone.timedelta(seconds=seconds)


class AccountingSettings(TenantModel):
    """An organization's defaults for documents sent to one provider."""

    class DeliveryChannel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        EHF = "ehf", _("EHF / e-invoice")
        PRINT = "print", _("Print / post")
        NONE = "none", _("Do not send (book only)")

    provider = models.CharField(_("provider"), max_length=40)
    payment_terms_days = models.PositiveIntegerField(
        _("payment terms"), default=14, choices=[(14, _("14 days")), (30, _("30 days"))]
    )
    default_project_code = models.CharField(_("default project"), max_length=40, blank=True)
    default_department_code = models.CharField(_("default department"), max_length=40, blank=True)
    invoice_delivery_channel = models.CharField(
        _("invoice delivery"), max_length=10, choices=DeliveryChannel.choices,
        default=DeliveryChannel.EMAIL,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("accounting defaults")
        verbose_name_plural = _("accounting defaults")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="accounting_settings_unique"
            )
        ]

    def __str__(self):
        return f"{self.provider} defaults"


class WebhookSecret(TenantModel):
    """A shared secret that signs one connection's inbound webhooks (HMAC-SHA256), encrypted at
    rest. Up to two are active at once, so a secret can be rotated without losing events: add the
    new one, switch the sender over, then retire the old one (set `retired_at`)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE,
                                   related_name="webhook_secrets", verbose_name=_("connection"))
    encrypted_secret = EncryptedTextField()
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook secret")
        verbose_name_plural = _("webhook secrets")

    def __str__(self):
        return self.label or f"secret {self.pk}"

    @property
    def active(self):
        return self.retired_at is None or self.retired_at > timezone.now()


class OAuthState(TenantModel):
    """A single-use `state` for a redirect-based connect flow (OAuth authorization code, or a
    provider's own onboarding page), bound to the user and organization that started it. Only a
    hash of the value is stored; see `integrations.oauthstate`."""

    provider = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value_hash = models.CharField(max_length=64, unique=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("connect state")
        verbose_name_plural = _("connect states")

    def __str__(self):
        return f"{self.provider} state for {self.user_id}"
