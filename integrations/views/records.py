"""Which of our models a provider's record type means, and what people call it.

Record types are the names providers declare in `capabilities.records` and in their operations
(`"invoice.export"`); the record pages name their types after the URL ("timeentry").
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

RECORD_MODELS = {
    "customer": "accounting.Customer",
    "project": "accounting.Project",
    "employee": "accounting.Employee",
    "time_entry": "accounting.TimeEntry",
    "quote": "accounting.Quote",
    "invoice": "accounting.Invoice",
    "payslip": "accounting.Payslip",
    "contract": "contracts.Contract",
}
LABELS = {
    "customer": _("Customers"),
    "project": _("Projects"),
    "employee": _("Employees"),
    "time_entry": _("Time entries"),
    "quote": _("Quotes"),
    "invoice": _("Invoices"),
    "payslip": _("Payslips"),
    "contract": _("Contracts"),
}
# Record page name -> record type, where they differ.
_PAGE_NAMES = {"timeentry": "time_entry"}


def model_for(record_type):
    path = RECORD_MODELS.get(record_type)
    return apps.get_model(path) if path else None


def record_type_for_page(page_name: str) -> str:
    return _PAGE_NAMES.get(page_name, page_name)


def label_for(record_type):
    return LABELS.get(record_type, record_type.replace("_", " "))
