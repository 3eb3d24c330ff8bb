"""Tenancy: every tenant-owned row belongs to one organization, and every read goes through it.

`TenantModel.objects.for_org(org)` is the one way views, services, tasks and admin read tenant rows;
`get_for_org_or_404` answers 404 for another organization's id, never 403 and never data.
"""

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _


class TenantQuerySet(models.QuerySet):
    def for_org(self, organization):
        # `not`, not `is None`: the middleware's `request.organization` is a lazy object, and for a
        # user without a membership it wraps None without being None.
        if not organization:
            return self.none()
        return self.filter(organization=organization)


class TenantModel(models.Model):
    organization = models.ForeignKey(
        "accounting.Organization", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("organization"),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


def get_for_org_or_404(model_or_qs, organization, **lookup):
    qs = model_or_qs.objects.all() if isinstance(model_or_qs, type) else model_or_qs
    try:
        return qs.for_org(organization).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(f"No {qs.model._meta.verbose_name} found.") from exc
