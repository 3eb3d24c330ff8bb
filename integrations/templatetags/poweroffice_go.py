"""`{% pogo_contract_panel contract %}` and `{% pogo_customer_panel customer %}`: the
PowerOffice Go parts of the contract page and the customer profile."""

from django import template

from integrations.providers.poweroffice_go import panels

register = template.Library()


@register.inclusion_tag("integrations/pogo/_contract_panel.html", takes_context=True)
def pogo_contract_panel(context, contract):
    return {**panels.contract_panel(contract), "request": context.get("request"),
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("integrations/pogo/_customer_panel.html", takes_context=True)
def pogo_customer_panel(context, customer):
    return {**panels.customer_panel(customer), "request": context.get("request"),
            "csrf_token": context.get("csrf_token")}
