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
    make = models.CharField(max_length=60)
    model = models.CharField(max_length=60)
    year = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["make", "model"]

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

    number = models.CharField(max_length=40)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contracts")
    car = models.ForeignKey(Car, on_delete=models.PROTECT, related_name="contracts")
    sale_price = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.NOK)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What the accounting system reports back (written by the integration, shown on the page).
    accounting_state = models.CharField(
        _("accounting status"), max_length=12, choices=AccountingState.choices,
        default=AccountingState.DRAFT)
    order_number = models.CharField(_("order number"), max_length=40, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    invoice_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    amount_remaining = models.DecimalField(max_digits=14, decimal_places=2, null=True,
                                           blank=True)
    invoice_due_date = models.DateField(null=True, blank=True)
    accounting_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
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
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(max_length=10, choices=LineCategory.choices)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = money_field()
    vat_label = models.CharField(
        _("local VAT label"), max_length=40, blank=True,
        help_text=_(
            "How the dealer names the VAT treatment, e.g. '25 %' or 'Bruktbil (avgiftsfri)'"
        ),
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.get_category_display()}: {self.description}"

    @property
    def amount(self):
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))
