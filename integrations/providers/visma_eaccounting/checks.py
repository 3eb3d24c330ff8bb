"""What must be true before a record goes to Visma eAccounting, each problem with where it is
fixed: Visma requires a customer's name, postal code and city (`CustomerApi`), and every line
category of an invoice needs a VAT code and a sales account mapped (they pick the article
coding, see mappers.py)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.errors import ValidationProblem
from integrations.mappings import blocked_error, category_mappings, mapping_problems

KEY = "visma_eaccounting"

MAPPING_MESSAGES = {
    "vat": gettext_lazy("Visma eAccounting needs a VAT code for the line category "
                        "'%(category)s'."),
    "account": gettext_lazy("Visma eAccounting needs a sales account for the line category "
                            "'%(category)s'."),
    "account_invalid": gettext_lazy(
        "Visma eAccounting needs a four-digit sales account for the line category "
        "'%(category)s' (now '%(account)s')."),
}


def sales_account(account):
    return account.isdigit() and len(account) == 4


def customer_url(customer):
    """The customer's page here, where its fields are fixed (blank if it has none)."""
    try:
        return reverse("contracts:customer_detail", args=[customer.pk])
    except NoReverseMatch:
        return ""


def line_mappings(organization, categories):
    """({category: (VAT code, account)} for the usable ones, [problems])."""
    categories = sorted(set(categories))
    accounts, vats = category_mappings(organization, KEY, categories)
    problems = mapping_problems(organization, KEY, categories, messages=MAPPING_MESSAGES,
                                account_valid=sales_account, mappings=(accounts, vats))
    found = {c: (vats[c], accounts[c]) for c in categories
             if c in vats and sales_account(accounts.get(c, ""))}
    return found, problems


def customer_problems(provider, customer):
    problems = []
    url = customer_url(customer)
    if not customer.name:
        problems.append(ValidationProblem(_("The customer needs a name."), field="name",
                                          fix_url=url))
    if not (customer.postal_code and customer.city):
        problems.append(ValidationProblem(
            _("Visma eAccounting needs the customer's postal code and city (%(name)s).")
            % {"name": customer.name or customer.pk}, field="postal_code", fix_url=url))
    return problems


def invoice_problems(provider, invoice):
    lines = list(invoice.lines.all())
    problems = [] if lines else [ValidationProblem(_("The invoice has no lines."),
                                                   field="lines")]
    problems += customer_problems(provider, invoice.customer)
    problems += line_mappings(invoice.organization, [line.category for line in lines])[1]
    return problems


VALIDATORS = {"customer": customer_problems, "invoice": invoice_problems}


def check(provider, record_type, record):
    """The job's own check before it sends anything: every problem as one permanent failure."""
    problems = provider.validate_export(record_type, record)
    if problems:
        raise blocked_error(problems)
