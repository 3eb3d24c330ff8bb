"""The shapes of the dealer's API (`contracts.dealerflow.api`) for its OpenAPI description
(`/api/schema/`); the views build the bodies, these serializers only describe them."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers


class JobBody(serializers.Serializer):
    jobId = serializers.IntegerField()  # noqa: N815 (the API's names)
    status = serializers.CharField()
    operation = serializers.CharField()
    lastError = serializers.CharField(allow_null=True)  # noqa: N815


class ContractStatusBody(serializers.Serializer):
    contractId = serializers.IntegerField()  # noqa: N815
    provider = serializers.CharField(allow_null=True)
    state = serializers.CharField(help_text="draft, order, invoiced, sent, partly_paid, paid, "
                                            "overdue")
    stateLabel = serializers.CharField()  # noqa: N815
    orderId = serializers.CharField(allow_null=True)  # noqa: N815
    orderNumber = serializers.CharField(allow_null=True)  # noqa: N815
    orderUrl = serializers.CharField(allow_null=True)  # noqa: N815
    invoiceId = serializers.CharField(allow_null=True)  # noqa: N815
    invoiceNumber = serializers.CharField(allow_null=True)  # noqa: N815
    invoiceUrl = serializers.CharField(allow_null=True)  # noqa: N815
    invoiceTotal = serializers.DecimalField(max_digits=14, decimal_places=2,  # noqa: N815
                                            allow_null=True)
    amountPaid = serializers.DecimalField(max_digits=14, decimal_places=2,  # noqa: N815
                                          allow_null=True)
    amountRemaining = serializers.DecimalField(max_digits=14, decimal_places=2,  # noqa: N815
                                               allow_null=True)
    dueDate = serializers.DateField(allow_null=True)  # noqa: N815
    lastSync = serializers.DateTimeField(allow_null=True)  # noqa: N815
    busy = serializers.BooleanField()
    jobs = serializers.DictField(child=JobBody(), help_text="operation -> its latest job")


class ContractActionBody(ContractStatusBody):
    job = JobBody()


class DisconnectBody(serializers.Serializer):
    status = serializers.ChoiceField(choices=["disconnected"])
    provider = serializers.CharField()
    atProvider = serializers.CharField(help_text="What happened at the provider.")  # noqa: N815


def described(request=None, response=None, status=200, summary=""):
    return extend_schema(request=request, responses={status: response}, summary=summary)
