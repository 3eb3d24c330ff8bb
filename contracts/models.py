"""The car dealer's own records: cars, sale contracts and their lines."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.models import ZERO, Currency, Customer, money_field
from accounting.tenancy import TenantModel


class LineCategory(models.TextChoices):
    """Every category needs a VAT and an account mapping per provider before it can be sent.

    Adding a category: add it here, make a migration, and map it in admin (Mapping per category).
    """

    CAR = "car", _("Car")
    ADDON = "addon", _("Add-on")
    PART = "part", _("Part")
    LABOR = "labor", _("Labor")
    FEE = "fee", _("Fee")


class Car(TenantModel):
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=20, blank=True)
    make = models.CharField(_("make"), max_length=60)
    model = models.CharField(_("model"), max_length=60)
    year = models.PositiveIntegerField(_("year"), null=True, blank=True)

    class Meta:
        ordering = ["make", "model"]
        verbose_name = _("car")
        verbose_name_plural = _("cars")

    def __str__(self):
        reg = f" ({self.registration_number})" if self.registration_number else ""
        return f"{self.year or ''} {self.make} {self.model}{reg}".strip()

    def missing_fields(self):
        missing = []
        if not (self.vin or self.registration_number):
            missing.append(("vin", _("VIN or registration number")))
        if not self.make:
            missing.append(("make", _("make")))
        if not self.model:
            missing.append(("model", _("model")))
        if not self.year:
            missing.append(("year", _("year")))
        return missing


class AccountingState(models.TextChoices):
    """Where the contract is in the accounting system: the badge on the contract page."""

    DRAFT = "draft", _("Draft")
    ORDER = "order", _("Order")
    INVOICED = "invoiced", _("Invoiced")
    SENT = "sent", _("Sent")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")


class Contract(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("contract number"), max_length=40)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer"))
    car = models.ForeignKey(
        Car, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("car"))
    sale_price = money_field(verbose_name=_("sale price"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.NOK)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # What the accounting system reports back (written by the integration, shown on the page).
    accounting_state = models.CharField(
        _("accounting status"), max_length=12, choices=AccountingState.choices,
        default=AccountingState.DRAFT)
    order_number = models.CharField(_("order number"), max_length=40, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    invoice_total = models.DecimalField(
        _("invoice total"), max_digits=14, decimal_places=2, null=True, blank=True)
    amount_paid = models.DecimalField(
        _("amount paid"), max_digits=14, decimal_places=2, null=True, blank=True)
    amount_remaining = models.DecimalField(
        _("amount remaining"), max_digits=14, decimal_places=2, null=True, blank=True)
    invoice_due_date = models.DateField(_("invoice due date"), null=True, blank=True)
    accounting_synced_at = models.DateTimeField(_("synced with accounting"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="contract_number_unique"
            )
        ]

    def __str__(self):
        return f"Kontrakt {self.number}"

    @property
    def total_excl_vat(self):
        return sum((line.amount for line in self.lines.all()), ZERO)


class ContractLine(models.Model):
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="lines", verbose_name=_("contract"))
    category = models.CharField(_("category"), max_length=10, choices=LineCategory.choices)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = money_field(verbose_name=_("unit price"))
    vat_label = models.CharField(
        _("local VAT label"), max_length=40, blank=True,
        help_text=_(
            "How the dealer names the VAT treatment, e.g. '25 %' or 'Bruktbil (avgiftsfri)'"
        ),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")

    def __str__(self):
        return f"{self.get_category_display()}: {self.description}"

    @property
    def amount(self):
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))
