"""`{% dealer_contract_panel contract %}` and `{% dealer_customer_panel customer %}`: the
accounting system's part of the contract page and the customer page (the dealer's flow, the
same templates for every provider; see `contracts.dealerflow`)."""

from django import template
from django.template.loader import render_to_string

from contracts.dealerflow import panels

register = template.Library()


def _render(template_name, context, extra):
    if not extra:
        return ""
    return render_to_string(template_name, {
        **extra, "request": context.get("request"), "user": context.get("user"),
        "csrf_token": context.get("csrf_token"), "organization": context.get("organization")})


@register.simple_tag(takes_context=True)
def dealer_contract_panel(context, contract):
    if contract is None or getattr(contract, "pk", None) is None:
        return ""
    return _render("contracts/dealer/_contract_panel.html", context,
                   panels.contract_panel(contract))


@register.simple_tag(takes_context=True)
def dealer_customer_panel(context, customer):
    if customer is None or getattr(customer, "pk", None) is None:
        return ""
    return _render("contracts/dealer/_customer_panel.html", context,
                   panels.customer_panel(customer))
