"""The business's own records, shared by every kind of user (dealer and construction firm)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    country = models.CharField(
        _("country"), max_length=2, default="NO", help_text=_("ISO country code"))
    org_number = models.CharField(_("organization number"), max_length=20, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.NOK)
    language = models.CharField(_("language"), max_length=8, default="nb")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"


class Customer(TenantModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(_("organization number"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="NO")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
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
    number = models.CharField(_("number"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("customer"))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="project_number_unique")
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


class Employee(TenantModel):
    employee_number = models.CharField(_("employee number"), max_length=40)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    personal_identity_number = models.CharField(
        _("personal identity number"), max_length=20, blank=True)
    employed_from = models.DateField(_("employed from"), null=True, blank=True)
    monthly_salary = money_field(verbose_name=_("monthly salary"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["employee_number"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
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

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="time_entries",
        verbose_name=_("employee"))
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("project"))
    date = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    absence_kind = models.CharField(
        _("absence"), max_length=30, choices=AbsenceKind.choices, blank=True, default="",
        help_text=_("Empty for worked hours; otherwise the hours are an absence of this kind."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = pgettext_lazy("model", "time entry")
        verbose_name_plural = _("time entries")

    def __str__(self):
        if self.absence_kind:
            return f"{self.employee} {self.date} {self.hours} h ({self.absence_kind})"
        return f"{self.employee} {self.date} {self.hours} h"

    @property
    def is_absence(self) -> bool:
        return bool(self.absence_kind)


class SalesDocument(TenantModel):
    """What quotes and invoices share: a customer, a currency, lines."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, verbose_name=_("customer"))
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("project"))
    number = models.CharField(_("number"), max_length=40, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.NOK)
    issue_date = models.DateField(_("issue date"))
    our_reference = models.CharField(_("our reference"), max_length=100, blank=True)
    your_reference = models.CharField(_("your reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def total_excl_vat(self):
        return sum((line.amount for line in self.lines.all()), ZERO)


class DocumentLine(models.Model):
    description = models.CharField(_("description"), max_length=200)
    category = models.CharField(
        _("category"), max_length=20, default="service",
        help_text=_("Drives the VAT and account mapping"),
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    unit_price = money_field(verbose_name=_("unit price"))
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=ZERO)
    position = models.PositiveIntegerField(_("position"), default=0)

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

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self):
        return f"Quote {self.number or self.pk}"


class QuoteLine(DocumentLine):
    quote = models.ForeignKey(
        Quote, on_delete=models.CASCADE, related_name="lines", verbose_name=_("quote"))

    class Meta(DocumentLine.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

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

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    paid_amount = money_field(verbose_name=_("paid"))
    remaining_amount = money_field(verbose_name=_("remaining"))
    final_pay_date = models.DateField(_("paid in full on"), null=True, blank=True)
    # Set from the accounting system: a booked invoice can no longer be changed there, only
    # credited.
    booked = models.BooleanField(_("booked"), default=False)

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self):
        return f"Invoice {self.number or self.pk}"


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice"))

    class Meta(DocumentLine.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self):
        return self.description


class InvoicePayment(TenantModel):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="payments", verbose_name=_("invoice"))
    amount = money_field(verbose_name=_("amount"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.NOK)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["-paid_on"]
        verbose_name = _("invoice payment")
        verbose_name_plural = _("invoice payments")


class Payslip(TenantModel):
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="payslips", verbose_name=_("employee"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    pay_date = models.DateField(_("pay date"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.SEK)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-pay_date"]
        verbose_name = pgettext_lazy("model", "payslip")
        verbose_name_plural = _("payslips")

    def __str__(self):
        return f"{self.employee} {self.period_start}–{self.period_end}"


class PayslipLine(models.Model):
    payslip = models.ForeignKey(
        Payslip, on_delete=models.CASCADE, related_name="lines",
        verbose_name=pgettext_lazy("model", "payslip"))
    pay_type = models.CharField(
        _("pay type"), max_length=40,
        help_text=_("Our pay type; mapped per provider to its salary code"),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_amount = money_field(verbose_name=_("unit amount"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("payslip line")
        verbose_name_plural = _("payslip lines")

    def __str__(self):
        return f"{self.pay_type}: {self.description}" if self.description else self.pay_type

    @property
    def amount(self):
        return (self.quantity * self.unit_amount).quantize(Decimal("0.01"))
