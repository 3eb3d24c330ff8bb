"""The business's own records, shared by every kind of user (dealer and construction firm)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.tenancy import TenantModel

ZERO = Decimal("0.00")


class Currency(models.TextChoices):
    NOK = "NOK", "NOK"
    SEK = "SEK", "SEK"
    DKK = "DKK", "DKK"
    EUR = "EUR", "EUR"


def money_field(**kwargs):
    """Money is Decimal with two places; its currency lives on the document that owns it."""
    return models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, **kwargs)


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    country = models.CharField(max_length=2, default="NO", help_text=_("ISO country code"))
    org_number = models.CharField(_("organization number"), max_length=20, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.NOK)
    language = models.CharField(max_length=8, default="nb")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"


class Customer(TenantModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200)
    org_number = models.CharField(_("organization number"), max_length=20, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="NO")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "org_number"])]

    def __str__(self):
        return self.name

    def missing_fields(self):
        """What a provider needs before the customer can be sent, as (field, label) pairs."""
        missing = []
        if not self.name:
            missing.append(("name", _("name")))
        if self.kind == self.Kind.COMPANY and not self.org_number:
            missing.append(("org_number", _("organization number")))
        if not (self.email or self.phone):
            missing.append(("email", _("e-mail or phone")))
        if not (self.street and self.postal_code and self.city):
            missing.append(("street", _("address")))
        return missing


class Project(TenantModel):
    number = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="project_number_unique")
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


class Employee(TenantModel):
    employee_number = models.CharField(max_length=40)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    personal_identity_number = models.CharField(max_length=20, blank=True)
    employed_from = models.DateField(null=True, blank=True)
    monthly_salary = money_field()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "employee_number"], name="employee_number_unique"
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class TimeEntry(TenantModel):
    """Hours of one employee on one day: worked hours, or, when `absence_kind` is set, hours
    of absence of that kind (payroll pays and reports them differently)."""

    class AbsenceKind(models.TextChoices):
        SICK_LEAVE = "sick_leave", _("Sick leave")
        CARE_OF_SICK_CHILD = "care_of_sick_child", _("Care of a sick child")
        PARENTAL_LEAVE = "parental_leave", _("Parental leave")
        HOLIDAY = "holiday", _("Holiday")
        OTHER_ABSENCE = "other_absence", _("Other absence")

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="time_entries")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL)
    date = models.DateField()
    hours = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    absence_kind = models.CharField(
        _("absence"), max_length=30, choices=AbsenceKind.choices, blank=True, default="",
        help_text=_("Empty for worked hours; otherwise the hours are an absence of this kind."),
    )
    description = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        verbose_name_plural = "time entries"

    def __str__(self):
        if self.absence_kind:
            return f"{self.employee} {self.date} {self.hours} h ({self.absence_kind})"
        return f"{self.employee} {self.date} {self.hours} h"

    @property
    def is_absence(self) -> bool:
        return bool(self.absence_kind)


class SalesDocument(TenantModel):
    """What quotes and invoices share: a customer, a currency, lines."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL)
    number = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.NOK)
    issue_date = models.DateField()
    our_reference = models.CharField(max_length=100, blank=True)
    your_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def total_excl_vat(self):
        return sum((line.amount for line in self.lines.all()), ZERO)


class DocumentLine(models.Model):
    description = models.CharField(max_length=200)
    category = models.CharField(
        max_length=20, default="service", help_text=_("Drives the VAT and account mapping")
    )
    quantity = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("1"))
    unit_price = money_field()
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    @property
    def amount(self):
        gross = self.quantity * self.unit_price
        return (gross * (1 - self.discount_percent / 100)).quantize(Decimal("0.01"))


class Quote(SalesDocument):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-issue_date", "-id"]

    def __str__(self):
        return f"Quote {self.number or self.pk}"


class QuoteLine(DocumentLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    def __str__(self):
        return self.description


class Invoice(SalesDocument):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ORDER = "order", _("Order")
        INVOICED = "invoiced", _("Invoiced")
        SENT = "sent", _("Sent")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Overdue")
        CANCELLED = "cancelled", _("Cancelled")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    due_date = models.DateField(null=True, blank=True)
    paid_amount = money_field()
    remaining_amount = money_field()
    final_pay_date = models.DateField(null=True, blank=True)
    # Set from the accounting system: a booked invoice can no longer be changed there, only
    # credited.
    booked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-issue_date", "-id"]

    def __str__(self):
        return f"Invoice {self.number or self.pk}"


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    def __str__(self):
        return self.description


class InvoicePayment(TenantModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    amount = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.NOK)
    paid_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-paid_on"]


class Payslip(TenantModel):
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="payslips")
    period_start = models.DateField()
    period_end = models.DateField()
    pay_date = models.DateField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.SEK)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pay_date"]

    def __str__(self):
        return f"{self.employee} {self.period_start}–{self.period_end}"


class PayslipLine(models.Model):
    payslip = models.ForeignKey(Payslip, on_delete=models.CASCADE, related_name="lines")
    pay_type = models.CharField(
        max_length=40, help_text=_("Our pay type; mapped per provider to its salary code")
    )
    description = models.CharField(max_length=200, blank=True)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_amount = money_field()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.pay_type}: {self.description}" if self.description else self.pay_type

    @property
    def amount(self):
        return (self.quantity * self.unit_amount).quantize(Decimal("0.01"))
