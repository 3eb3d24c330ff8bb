"""The JSON API of the dealer's flow (`/api/accounting/pogo/...`), for the business app's own
front end or scripts. Session authentication; every call works inside the user's organization
(another organization's contract answers 404). Blocked actions answer 422 with every problem
and where it is fixed; see `integrations.api.exception_handler`."""

from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from integrations.providers.poweroffice_go import panels, services
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


def _status(contract):
    panel = panels.contract_panel(contract, check_remote=False)
    order, invoice = panel["order"], panel["invoice"]
    return {
        "contractId": contract.pk,
        "state": contract.accounting_state,
        "stateLabel": str(panel["state_label"]),
        "orderId": order.remote_id if order else None,
        "orderNumber": contract.order_number or None,
        "orderUrl": order.remote_url if order else None,
        "invoiceId": invoice.remote_id if invoice else None,
        "invoiceNumber": contract.invoice_number or None,
        "invoiceUrl": invoice.remote_url if invoice else None,
        "invoiceTotal": str(contract.invoice_total) if contract.invoice_total is not None
        else None,
        "amountPaid": str(contract.amount_paid) if contract.amount_paid is not None else None,
        "amountRemaining": str(contract.amount_remaining)
        if contract.amount_remaining is not None else None,
        "dueDate": contract.invoice_due_date.isoformat() if contract.invoice_due_date else None,
        "lastSync": contract.accounting_synced_at.isoformat()
        if contract.accounting_synced_at else None,
        "busy": panel["busy"],
        "jobs": {op: _job(job) for op, job in panel["jobs"].items() if job is not None},
    }


@api_view(["GET"])
@permission_classes([IsAuthenticated, IsOrgAdmin])
def connect(request):
    """Start onboarding: send the person's browser to `onboardingUrl`."""
    url = services.start_onboarding(organization=request.organization, user=request.user)
    return Response({"onboardingUrl": url})


@api_view(["POST"])
@permission_classes([IsAuthenticated, IsOrgAdmin])
def disconnect(request):
    connection = services.get_connection(request.organization)
    if connection is None:
        raise NotFound("PowerOffice Go was never connected for your organization.")
    remote = services.disconnect_rollback_unsafe(connection, user=request.user)
    return Response({"status": "disconnected", "integrationAtPowerOfficeGo": remote})


@api_view(["POST"])
@permission_classes([IsAuthenticated, IsOrgMember])
def send_order(request):
    contract = _contract(request)
    job = services.send_order_rollback_unsafe(contract, user=request.user)
    return Response({**_status(contract), "job": _job(job)}, status=status.HTTP_202_ACCEPTED)


@api_view(["POST"])
@permission_classes([IsAuthenticated, IsOrgMember])
def invoice(request):
    contract = _contract(request)
    job = services.invoice_now(contract, user=request.user)
    return Response({**_status(contract), "job": _job(job)}, status=status.HTTP_202_ACCEPTED)


@api_view(["GET"])
@permission_classes([IsAuthenticated, IsOrgMember])
def contract_status(request, pk):
    from contracts.models import Contract

    contract = Contract.objects.for_org(request.organization).filter(pk=pk).first()
    if contract is None:
        raise NotFound("No such contract in your organization.")
    return Response(_status(contract))


