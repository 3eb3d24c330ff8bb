from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import DetailView, ListView

from accounting import selectors


@login_required
def home(request):
    return render(request, "home.html")


class RecordPageMixin(LoginRequiredMixin):
    """Set per record type with `as_view(page=...)`; see `accounting.recordpages`."""

    page = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = self.page
        context["page"] = page
        context["list_url"] = reverse(page.list_url_name)
        if page.create_url_name:
            context["create_url"] = reverse(f"{page.namespace}:{page.create_url_name}")
        return context

    def get_template_names(self):
        return [self.template_name]


class RecordListView(RecordPageMixin, ListView):
    paginate_by = 50

    @property
    def template_name(self):
        return self.page.list_template

    def get_queryset(self):
        return selectors.record_list(
            page=self.page,
            organization=self.request.organization,
            search=self.request.GET.get("q", ""),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = self.page.columns
        context["rows"] = [self.page.columns_for(obj) for obj in context["object_list"]]
        context["search"] = self.request.GET.get("q", "")
        return context


class RecordDetailView(RecordPageMixin, DetailView):
    @property
    def template_name(self):
        return self.page.detail_template

    def get_object(self, queryset=None):
        return selectors.record_get(
            page=self.page, organization=self.request.organization, pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj, page, org = self.object, self.page, self.request.organization
        context["record_type"] = page.name
        context["heading"] = page.heading(obj) if page.heading else str(obj)
        context["fields"] = [(column.label, column.cell(obj)) for column in page.fields]
        tables = (table.render(obj, org) for table in page.related)
        context["related_tables"] = [table for table in tables if table is not None]
        if page.edit_url_name:
            context["edit_url"] = reverse(f"{page.namespace}:{page.edit_url_name}", args=[obj.pk])
        return context
