from django.conf import settings
from django.utils import translation
from django.utils.functional import SimpleLazyObject

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
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = SimpleLazyObject(lambda: organization_for(request))
        # Speak the organization's language (bokmål for the dealer, Swedish for the builder)
        # unless the user picked one explicitly.
        if (getattr(request, "user", None) is not None and request.user.is_authenticated
                and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
                and request.organization):
            translation.activate(request.organization.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def membership_for(request):
    org = getattr(request, "organization", None)
    if not org:
        return None
    return request.user.memberships.filter(organization=org).first()
