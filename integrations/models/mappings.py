"""Our line categories and pay types -> the provider's VAT codes, sales accounts and salary
codes, per organization and provider."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.tenancy import TenantModel


class CategoryMapping(TenantModel):
    provider = models.CharField(_("provider"), max_length=40)
    category = models.CharField(
        _("category"), max_length=40, help_text=_("Our line category, e.g. 'addon'"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["provider", "category"]


class VatMapping(CategoryMapping):
    vat_code = models.CharField(_("VAT code at the provider"), max_length=20)
    description = models.CharField(_("description"), max_length=100, blank=True)

    class Meta(CategoryMapping.Meta):
        verbose_name = _("VAT mapping")
        verbose_name_plural = _("VAT mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "category"], name="vat_mapping_unique"
            )
        ]

    def __str__(self):
        return f"{self.category} -> VAT {self.vat_code}"


class AccountMapping(CategoryMapping):
    account_number = models.CharField(_("sales account"), max_length=20)
    description = models.CharField(_("description"), max_length=100, blank=True)

    class Meta(CategoryMapping.Meta):
        verbose_name = _("account mapping")
        verbose_name_plural = _("account mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "category"], name="account_mapping_unique"
            )
        ]

    def __str__(self):
        return f"{self.category} -> account {self.account_number}"


class PayTypeMapping(TenantModel):
    """Our payslip pay type (e.g. "monthly_salary", "overtime") -> the provider's salary code.
    Payslips with an unmapped pay type are not sent."""

    provider = models.CharField(_("provider"), max_length=40)
    pay_type = models.CharField(_("pay type"), max_length=40,
                                help_text=_("Our pay type, as on payslip lines"))
    salary_code = models.CharField(_("salary code at the provider"), max_length=20)
    description = models.CharField(_("description"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["provider", "pay_type"]
        verbose_name = _("pay type mapping")
        verbose_name_plural = _("pay type mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "pay_type"], name="pay_type_mapping_unique"
            )
        ]

    def __str__(self):
        return f"{self.pay_type} -> salary code {self.salary_code}"
