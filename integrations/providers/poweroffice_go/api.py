"""PowerOffice Go's own JSON endpoint: starting onboarding. The dealer's API (send, invoice,
status, disconnect) is shared (`contracts.dealerflow.api`); `urls.py` keeps its first
addresses under /api/accounting/pogo/ with the provider fixed."""

from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from integrations.providers.poweroffice_go import services
from integrations.viewkit import IsOrgAdmin


@api_view(["GET"])
@permission_classes([IsAuthenticated, IsOrgAdmin])
def connect(request):
    """Start onboarding: send the person's browser to `onboardingUrl`."""
    url = services.start_onboarding(organization=request.organization, user=request.user)
    return Response({"onboardingUrl": url})
