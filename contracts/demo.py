"""Loading the demo (see `demo_data`): safe to run on every `make run`.

Everything is get-or-create by a natural key (slug, username, number, VIN, ...), and a record's
lines are written only when the record itself is new. So a second run creates nothing, and it
never undoes what someone changed while trying the demo (a mapping they added, a contract they
edited). Time entries and payslips have no natural key and their dates move with the calendar, so
they are seeded only while the organization (or employee) has none.
"""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from accounting.models import (
    ZERO,
    Customer,
    Employee,
    Invoice,
    InvoicePayment,
    Membership,
    Organization,
    Payslip,
    Project,
    Quote,
    TimeEntry,
)
from contracts import demo_data as data
from contracts.models import Car, Contract
from integrations.models import AccountingSettings, AccountMapping, VatMapping

# Every demo line is 25 % VAT; used only to make paid and remaining amounts look real.
DEMO_VAT_FACTOR = Decimal("1.25")


class DemoLoader:
    def __init__(self, *, today: date):
        self.today = today
        self.created = Counter()

    def _count(self, model):
        # The summary is for the terminal, in English whatever LANGUAGE_CODE says.
        with translation.override("en"):
            self.created[str(model._meta.verbose_name_plural)] += 1

    def _get_or_create(self, model, defaults=None, **lookup):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
        if created:
            self._count(model)
        return obj, created

    def _days_ago(self, days):
        return None if days is None else self.today - timedelta(days=days)

    @transaction.atomic
    def load(self) -> Counter:
        orgs = {}
        for values in data.ORGANIZATIONS:
            values = dict(values)
            slug = values.pop("slug")
            orgs[slug], _ = self._get_or_create(Organization, slug=slug, defaults=values)
        self.load_users(orgs)
        for slug in data.DEALER_SLUGS:
            self.load_dealer(orgs[slug])
        self.load_construction(orgs["frost"])
        self.load_provider_demos(orgs)
        return self.created

    def load_provider_demos(self, orgs):
        """Each accounting system's part of the demo (`Provider.demo()`): its mappings."""
        from integrations.providers import registry

        for cls in registry.all():
            demo = cls.demo()
            if demo is not None and demo.organization_slug in orgs:
                self.load_mappings(orgs[demo.organization_slug], cls.key, demo.mappings)

    def load_users(self, orgs):
        User = get_user_model()
        for username, (slug, role, first_name, last_name) in data.USERS.items():
            user, created = self._get_or_create(
                User,
                username=username,
                defaults={"first_name": first_name, "last_name": last_name,
                          "is_staff": role == Membership.Role.ADMIN},
            )
            if created:
                user.set_password(data.DEMO_PASSWORD)
                user.save(update_fields=["password"])
            self._get_or_create(
                Membership, user=user, organization=orgs[slug], defaults={"role": role}
            )

    def load_mappings(self, org, provider, mappings):
        self._get_or_create(AccountingSettings, organization=org, provider=provider)
        for category, (account, vat_code, description) in mappings.items():
            key = {"organization": org, "provider": provider, "category": category}
            self._get_or_create(
                VatMapping, defaults={"vat_code": vat_code, "description": description}, **key
            )
            self._get_or_create(
                AccountMapping,
                defaults={"account_number": account, "description": description},
                **key,
            )

    def load_customers(self, org, customers):
        by_name = {}
        for values in customers:
            values = dict(values)
            name = values.pop("name")
            by_name[name], _ = self._get_or_create(
                Customer, organization=org, name=name, defaults=values
            )
        return by_name

    def load_dealer(self, org):
        customers = self.load_customers(org, data.NORDBIL_CUSTOMERS)
        cars = {}
        for values in data.NORDBIL_CARS:
            values = dict(values)
            car, _ = self._get_or_create(
                Car, organization=org, vin=values.pop("vin"), defaults=values
            )
            cars[car.registration_number] = car
        for spec in data.NORDBIL_CONTRACTS:
            car_price = sum((line[3] for line in spec["lines"] if line[0] == "car"), ZERO)
            contract, created = self._get_or_create(
                Contract,
                organization=org,
                number=spec["number"],
                defaults={
                    "customer": customers[spec["customer"]],
                    "car": cars[spec["car"]],
                    "status": spec["status"],
                    "signed_on": self._days_ago(spec["signed_days_ago"]),
                    "currency": org.currency,
                    "sale_price": car_price,
                },
            )
            if created:
                for position, (category, description, qty, price, vat) in enumerate(spec["lines"]):
                    contract.lines.create(
                        position=position, category=category, description=description,
                        quantity=qty, unit_price=price, vat_label=vat,
                    )

    def load_construction(self, org):
        customers = self.load_customers(org, data.FROST_CUSTOMERS)
        projects = {}
        for spec in data.FROST_PROJECTS:
            projects[spec["number"]], _ = self._get_or_create(
                Project,
                organization=org,
                number=spec["number"],
                defaults={"name": spec["name"], "customer": customers[spec["customer"]],
                          "start_date": self._days_ago(spec["start_days_ago"])},
            )
        employees = {}
        for values in data.FROST_EMPLOYEES:
            values = dict(values)
            number = values.pop("employee_number")
            values["employed_from"] = self._days_ago(values.pop("employed_days_ago"))
            employees[number], _ = self._get_or_create(
                Employee, organization=org, employee_number=number, defaults=values
            )
        self.load_time_entries(org, employees, projects)
        for spec in data.FROST_QUOTES:
            self.load_document(org, Quote, spec, customers, projects, extra={
                "valid_until": self._days_ago(spec["issued_days_ago"] - spec["valid_days"]),
            })
        for spec in data.FROST_INVOICES:
            self.load_invoice(org, spec, customers, projects)
        self.load_payslips(org, employees)

    def load_time_entries(self, org, employees, projects):
        if TimeEntry.objects.for_org(org).exists():
            return
        absences = {(number, nth): (kind, hours, description)
                    for number, nth, kind, hours, description in data.FROST_ABSENCES}
        weekdays = 0
        for days_ago in range(1, 15):
            day = self.today - timedelta(days=days_ago)
            if day.weekday() >= 5:
                continue
            weekdays += 1
            for employee_number, project_number, hours, description in data.FROST_DAILY_TIME:
                values = {"project": projects[project_number], "hours": hours,
                          "description": description}
                absence = absences.get((employee_number, weekdays))
                if absence is not None:
                    kind, hours, description = absence
                    values = {"absence_kind": kind, "hours": hours, "description": description}
                TimeEntry.objects.create(
                    organization=org, employee=employees[employee_number], date=day, **values
                )
                self._count(TimeEntry)

    def load_document(self, org, model, spec, customers, projects, extra):
        document, created = self._get_or_create(
            model,
            organization=org,
            number=spec["number"],
            defaults={
                "customer": customers[spec["customer"]],
                "project": projects.get(spec["project"]),
                "currency": org.currency,
                "issue_date": self._days_ago(spec["issued_days_ago"]),
                "status": spec["status"],
                "our_reference": "Karin Lindqvist",
                **extra,
            },
        )
        if created:
            for position, (category, description, qty, price) in enumerate(spec["lines"]):
                document.lines.create(
                    position=position, category=category, description=description,
                    quantity=qty, unit_price=price,
                )
        return document, created

    def load_invoice(self, org, spec, customers, projects):
        invoice, created = self.load_document(org, Invoice, spec, customers, projects, extra={
            "due_date": self._days_ago(spec["issued_days_ago"] - 30),
        })
        if not created or invoice.status == Invoice.Status.DRAFT:
            return
        gross = (invoice.total_excl_vat * DEMO_VAT_FACTOR).quantize(Decimal("0.01"))
        if invoice.status == Invoice.Status.PAID:
            paid_on = invoice.issue_date + timedelta(days=20)
            InvoicePayment.objects.create(
                organization=org, invoice=invoice, amount=gross, currency=invoice.currency,
                paid_on=paid_on, reference=f"OCR {invoice.number}",
            )
            self._count(InvoicePayment)
            invoice.paid_amount, invoice.remaining_amount = gross, ZERO
            invoice.final_pay_date = paid_on
        else:
            invoice.remaining_amount = gross
        invoice.save()

    def load_payslips(self, org, employees):
        # Last month's salary, paid on the 25th.
        period_end = self.today.replace(day=1) - timedelta(days=1)
        period_start = period_end.replace(day=1)
        for employee_number, lines in data.FROST_PAYSLIPS:
            employee = employees[employee_number]
            if employee.payslips.exists():
                continue
            payslip, _ = self._get_or_create(
                Payslip,
                organization=org,
                employee=employee,
                period_start=period_start,
                defaults={"period_end": period_end, "pay_date": period_end.replace(day=25),
                          "currency": org.currency},
            )
            for pay_type, description, qty, amount in lines:
                payslip.lines.create(
                    pay_type=pay_type, description=description, quantity=qty, unit_amount=amount
                )


def demo_load(*, today: date | None = None) -> Counter:
    """Load the demo organizations, logins and records; returns what was created, by type."""
    return DemoLoader(today=today or timezone.localdate()).load()
