from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from accounting import rls

SESSION_KEY = "organization_id"


def organization_for(request):
    """The organization the signed-in user works in: the one chosen in the session, else their
    first membership. None for anonymous users and users without a membership."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = user.memberships.select_related("organization").order_by("organization__name")
    chosen = request.session.get(SESSION_KEY)
    if chosen is not None:
        for membership in memberships:
            if membership.organization_id == chosen:
                return membership.organization
    first = memberships.first()
    return first.organization if first else None


class OrganizationMiddleware:
    """Finds the signed-in user's organization and runs the request inside it: application
    scoping reads `request.organization`, and on PostgreSQL the row-level security context
    (`accounting.rls`) is that organization, so a query that forgets it sees nothing. Anonymous
    requests run with no organization at all; a superuser's Django admin spans organizations
    (a named bypass)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = SimpleLazyObject(lambda: organization_for(request))
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            with rls.tenant_context(None):
                return self.get_response(request)
        with rls.tenant_context(None, user=user.pk):  # the user's own memberships only
            org = request.organization if request.organization else None
        # Speak the organization's language (bokmål for the dealer, Swedish for the builder)
        # unless the user picked one explicitly.
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and org is not None:
            translation.activate(org.language)
            request.LANGUAGE_CODE = translation.get_language()
        if user.is_superuser and _in_admin(request.path):
            scope = rls.rls_bypass("a superuser's Django admin spans organizations")
        else:
            scope = rls.tenant_context(org, user=user.pk)
        with scope:
            return self.get_response(request)


def _in_admin(path):
    try:
        return path.startswith(reverse("admin:index"))
    except NoReverseMatch:
        return False


def membership_for(request):
    org = getattr(request, "organization", None)
    if not org:
        return None
    return request.user.memberships.filter(organization=org).first()
