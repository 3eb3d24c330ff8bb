"""One list page and one detail page per business record type, described by data, not by views.

A `RecordPage` says which model, which columns on the list, which fields and related tables on the
detail page. `accounting.views.RecordListView` / `RecordDetailView` render any of them, and
`record_urls(page)` gives the two URL patterns. Each app declares its pages in its `pages.py` and
registers them here, so a page can link to a record of another app (a project's customer lives in
`contracts`) without `accounting` importing that app: the link is looked up by model at runtime.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.urls import NoReverseMatch, path, reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

# model -> RecordPage; filled by each app's urls module as it declares its patterns.
_PAGES: dict[type[models.Model], "RecordPage"] = {}

EMPTY = "—"


@dataclass(frozen=True)
class Column:
    """One value shown in a table cell or a detail row.

    `value` is a dotted attribute path ("customer.city", "get_status_display") or a function of
    the record. `link` makes the cell a link: True links to the value's own detail page (a
    related record), "self" to the record the row shows.
    """

    label: Any
    value: str | Callable
    kind: str = "text"  # text | money | date | bool | badge | quantity
    link: bool | str = False

    @property
    def numeric(self):
        return self.kind in ("money", "quantity")

    def resolve(self, obj):
        if callable(self.value):
            return self.value(obj)
        value = obj
        for part in self.value.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
            if callable(value) and not isinstance(value, models.Manager):
                value = value()
        return value

    def cell(self, obj) -> "Cell":
        value = self.resolve(obj)
        url = ""
        if self.link == "self":
            url = url_for(obj)
        elif self.link and isinstance(value, models.Model):
            url = url_for(value)
        return Cell(text=format_value(value, self.kind), url=url, kind=self.kind)


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    kind: str = "text"


def format_value(value, kind="text") -> str:
    if value is None or value == "":
        return EMPTY
    if kind == "money":
        return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if kind == "quantity":
        # 1.000 hours or pieces read as 1; 7.50 hours as 7,5.
        normalized = Decimal(value).normalize()
        places = max(0, -normalized.as_tuple().exponent)
        return number_format(normalized, decimal_pos=places, use_l10n=True, force_grouping=True)
    if kind == "bool" or isinstance(value, bool):
        return _("Yes") if value else _("No")
    if kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


@dataclass(frozen=True)
class RelatedTable:
    """Rows hanging off the record on its detail page: lines, payments, a customer's contracts.

    `rows` is an attribute name (a reverse relation) or a function of the record returning a
    queryset. Rows of tenant models are filtered to the page's organization again, because a
    foreign key alone does not promise that both ends belong to the same organization.
    """

    title: Any
    rows: str | Callable
    columns: tuple[Column, ...]
    total: Callable | None = None
    total_label: Any = None
    limit: int | None = None
    empty_text: Any = None
    # Tables that only some kinds of organization use (a dealer has no projects) stay out of the
    # way when empty.
    hide_when_empty: bool = False

    def queryset(self, obj, organization):
        rows = self.rows(obj) if callable(self.rows) else getattr(obj, self.rows).all()
        if hasattr(rows.model, "organization"):
            rows = rows.for_org(organization)
        return rows[: self.limit] if self.limit else rows

    def render(self, obj, organization) -> dict | None:
        rows = list(self.queryset(obj, organization))
        if not rows and self.hide_when_empty:
            return None
        return {
            "title": self.title,
            "columns": self.columns,
            "rows": [[column.cell(row) for column in self.columns] for row in rows],
            "total": format_value(self.total(obj), "money") if self.total else None,
            "total_label": self.total_label or _("Total"),
            "empty_text": self.empty_text or _("Nothing here yet."),
            "limited": bool(self.limit) and len(rows) >= self.limit,
        }


@dataclass(frozen=True)
class RecordPage:
    """How one record type is listed and shown to staff. `name` is the URL name stem and the
    record type the integration panels are given ("contract" -> `contracts:contract_detail`)."""

    model: type[models.Model]
    name: str
    namespace: str
    url_prefix: str
    title: Any
    title_singular: Any
    columns: tuple[Column, ...]
    fields: tuple[Column, ...]
    related: tuple[RelatedTable, ...] = ()
    search_fields: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    detail_template: str = "records/detail.html"
    list_template: str = "records/list.html"
    # URL names (in this namespace) of the create and edit pages, when the record has them.
    create_url_name: str = ""
    edit_url_name: str = ""
    # The detail page's heading, in the reader's language: a function of the record (default
    # its str()).
    heading: Callable | None = None

    @property
    def list_url_name(self):
        return f"{self.namespace}:{self.name}_list"

    @property
    def detail_url_name(self):
        return f"{self.namespace}:{self.name}_detail"

    def columns_for(self, obj):
        return [column.cell(obj) for column in self.columns]


def register(page: RecordPage) -> RecordPage:
    _PAGES[page.model] = page
    return page


def page_for(model) -> RecordPage | None:
    return _PAGES.get(model)


def registered_pages() -> list[RecordPage]:
    return list(_PAGES.values())


def url_for(obj) -> str:
    """The detail page of a record, or "" when its type has no page."""
    page = page_for(type(obj))
    if page is None or obj.pk is None:
        return ""
    try:
        return reverse(page.detail_url_name, args=[obj.pk])
    except NoReverseMatch:
        return ""


def record_urls(page: RecordPage) -> list:
    """The list and detail URL patterns of one page, registering the page for links."""
    from accounting.views import RecordDetailView, RecordListView

    register(page)
    return [
        path(page.url_prefix, RecordListView.as_view(page=page), name=f"{page.name}_list"),
        path(
            f"{page.url_prefix}<int:pk>/",
            RecordDetailView.as_view(page=page),
            name=f"{page.name}_detail",
        ),
    ]
