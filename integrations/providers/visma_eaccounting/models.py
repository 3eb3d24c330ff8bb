"""The grant Visma's identity server gave an organization, shared by its Visma products.

One consent at identity.vismaonline.com can carry the scopes of Visma eAccounting (`ea:api`)
and Visma payroll (`vls:api`), and the one refresh token it yields rotates on every refresh: if
each product's connection kept its own copy, the first refresh by one would spend the token
the other holds. So the refresh token lives here, once per organization and Visma company
(`customer_id`), and each product's `Connection` keeps only a reference to it (`grant_id`) and a
copy of the current access token (see identity.py).
"""

import json

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from fernet_fields import EncryptedTextField

from accounting.tenancy import TenantModel


class VismaGrant(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        REFUSED = "refused", "refused"  # Visma refused the refresh token: consent again

    # The Visma Online company (`customer_id` claim of the access token).
    customer_id = models.CharField(_("Visma company id"), max_length=100)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    # JSON: access_token, refresh_token, scope. Never shown anywhere.
    encrypted_credentials = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(_("status reason"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Visma grant")
        verbose_name_plural = _("Visma grants")
        constraints = [models.UniqueConstraint(fields=["organization", "customer_id"],
                                               name="visma_grant_one_per_company")]

    def __str__(self):
        return f"Visma grant {self.pk} ({self.status})"

    @property
    def credentials(self) -> dict:
        return json.loads(self.encrypted_credentials) if self.encrypted_credentials else {}

    def set_credentials(self, credentials, *, expires_at):
        self.encrypted_credentials = json.dumps(credentials) if credentials else ""
        self.token_expires_at = expires_at
        self.version += 1

    def expires_within(self, seconds) -> bool:
        if self.token_expires_at is None:
            return True
        return self.token_expires_at <= timezone.now() + timezone.timedelta(seconds=seconds)
