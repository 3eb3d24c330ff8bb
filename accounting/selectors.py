"""Reads for the staff pages. Every read goes through `for_org`: another organization's rows are
neither listed nor found."""

from functools import reduce
from operator import or_

from django.db.models import Q

from accounting.tenancy import get_for_org_or_404


def record_list(*, page, organization, search=""):
    qs = page.model.objects.for_org(organization)
    if page.select_related:
        qs = qs.select_related(*page.select_related)
    if page.prefetch_related:
        qs = qs.prefetch_related(*page.prefetch_related)
    search = search.strip()
    if search and page.search_fields:
        qs = qs.filter(
            reduce(or_, (Q(**{f"{name}__icontains": search}) for name in page.search_fields))
        )
    return qs


def record_get(*, page, organization, pk):
    """The record, or 404 when it does not exist in this organization."""
    qs = page.model.objects.all()
    if page.select_related:
        qs = qs.select_related(*page.select_related)
    return get_for_org_or_404(qs, organization, pk=pk)
