"""PowerOffice Go's own JSON endpoint: starting onboarding. The dealer's API (send, invoice,
status, disconnect) is shared (`contracts.dealerflow.api`); `urls.py` keeps its first
addresses under /api/accounting/pogo/ with the provider fixed."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from integrations.providers.poweroffice_go import services
from integrations.viewkit import IsOrgAdmin


class OnboardingBody(serializers.Serializer):
    onboardingUrl = serializers.URLField(  # noqa: N815 (the API's name)
        help_text="Where to send the person's browser to approve the integration in Go")


@extend_schema(responses={200: OnboardingBody})
@api_view(["GET"])
@permission_classes([IsAuthenticated, IsOrgAdmin])
def connect(request):
    """Start onboarding: send the person's browser to `onboardingUrl`."""
    url = services.start_onboarding(organization=request.organization, user=request.user)
    return Response({"onboardingUrl": url})
