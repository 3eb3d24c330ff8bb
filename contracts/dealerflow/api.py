"""The JSON API of the dealer's flow (`/api/accounting/...`), for the business app's own front
end or scripts, whatever accounting system the organization uses. Session authentication;
every call works inside the user's organization (another organization's contract answers
404). Blocked actions answer 422 with every problem and where it is fixed (see
`integrations.api.exception_handler`). A provider's own addresses may fix `provider`."""

from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from contracts.dealerflow import panels, services
from contracts.dealerflow.schema import (
    ContractActionBody,
    ContractStatusBody,
    DisconnectBody,
    described,
)
from contracts.dealerflow.selectors import choose
from integrations.viewkit import IsOrgAdmin, IsOrgMember


class ContractRequest(serializers.Serializer):
    contractId = serializers.IntegerField(min_value=1)  # noqa: N815 (the brief's name)


def _contract(request):
    from contracts.models import Contract

    body = ContractRequest(data=request.data)
    body.is_valid(raise_exception=True)
    contract = (Contract.objects.for_org(request.organization).select_related("customer", "car")
                .filter(pk=body.validated_data["contractId"]).first())
    if contract is None:
        raise NotFound("No such contract in your organization.")
    return contract


def _job(job):
    return {"jobId": job.pk, "status": job.status, "operation": job.operation,
            "lastError": job.last_error or None}


def _text(value):
    return str(value) if value is not None else None


def contract_status_body(contract, *, key=None):
    panel = panels.contract_panel(contract, check_remote=False, key=key)
    order, invoice = panel.get("order"), panel.get("invoice")
    return {
        "contractId": contract.pk,
        "provider": panel.get("provider_key"),
        "state": contract.accounting_state,
        "stateLabel": str(contract.get_accounting_state_display()),
        "orderId": order.remote_id if order else None,
        "orderNumber": contract.order_number or None,
        "orderUrl": order.remote_url if order else None,
        "invoiceId": invoice.remote_id if invoice else None,
        "invoiceNumber": contract.invoice_number or None,
        "invoiceUrl": invoice.remote_url if invoice else None,
        "invoiceTotal": _text(contract.invoice_total),
        "amountPaid": _text(contract.amount_paid),
        "amountRemaining": _text(contract.amount_remaining),
        "dueDate": contract.invoice_due_date.isoformat() if contract.invoice_due_date else None,
        "lastSync": contract.accounting_synced_at.isoformat()
        if contract.accounting_synced_at else None,
        "busy": panel.get("busy", False),
        "jobs": {op: _job(job) for op, job in panel.get("jobs", {}).items() if job is not None},
    }


@described(None, DisconnectBody, summary="Disconnect the accounting system")
@api_view(["POST"])
@permission_classes([IsAuthenticated, IsOrgAdmin])
def disconnect(request, provider=None):
    cls, connection = choose(request.organization, provider)
    if connection is None:
        raise NotFound("No accounting system was ever connected for your organization.")
    remote = services.disconnect_rollback_unsafe(connection, user=request.user)
    return Response({"status": "disconnected", "provider": cls.key, "atProvider": remote})


@described(ContractRequest, ContractActionBody, 202, "Send a contract as an order")
@api_view(["POST"])
@permission_classes([IsAuthenticated, IsOrgMember])
def send_order(request, provider=None):
    contract = _contract(request)
    job = services.send_order_rollback_unsafe(contract, user=request.user, key=provider)
    return Response({**contract_status_body(contract, key=provider), "job": _job(job)},
                    status=status.HTTP_202_ACCEPTED)


@described(ContractRequest, ContractActionBody, 202, "Invoice a contract's order")
@api_view(["POST"])
@permission_classes([IsAuthenticated, IsOrgMember])
def invoice(request, provider=None):
    contract = _contract(request)
    job = services.invoice_now(contract, user=request.user, key=provider)
    return Response({**contract_status_body(contract, key=provider), "job": _job(job)},
                    status=status.HTTP_202_ACCEPTED)


@described(None, ContractStatusBody, summary="A contract's accounting state")
@api_view(["GET"])
@permission_classes([IsAuthenticated, IsOrgMember])
def contract_status(request, pk, provider=None):
    from contracts.models import Contract

    contract = Contract.objects.for_org(request.organization).filter(pk=pk).first()
    if contract is None:
        raise NotFound("No such contract in your organization.")
    return Response(contract_status_body(contract, key=provider))
