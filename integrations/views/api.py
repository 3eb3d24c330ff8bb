"""The integrations API (DRF), one view per operation, all inside `request.organization`.

Reading needs a membership; anything that changes something needs the organization's admin
role. Another organization's connection or record answers 404. Errors:
400 the request itself (unknown record type, bad date), 404 not in your organization,
422 blocked with `problems` (e.g. the connection needs re-authorization).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotFound
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.tenancy import get_for_org_or_404
from integrations.errors import ActionBlocked, ProviderError
from integrations.models import Connection
from integrations.viewkit import IsOrgAdmin, IsOrgMember, is_org_admin
from integrations.views import selectors, services


def _invalid(exc: services.RequestInvalid):
    return ValidationError({exc.field or "detail": [exc.message]})


class ConnectionView(APIView):
    """A view of one connection. The connection is found first, so an id that is not in the
    organization answers 404 whoever asks; then changing it needs the admin role (403)."""

    permission_classes = [IsOrgMember]
    admin_only = True

    def connection(self, request, pk):
        connection = get_for_org_or_404(Connection, request.organization, pk=pk)
        if self.admin_only and not is_org_admin(request):
            raise PermissionDenied(IsOrgAdmin.message)
        return connection


class ConnectInput(serializers.Serializer):
    service_account = serializers.BooleanField(default=False)


class ConnectOutput(serializers.Serializer):
    authorization_url = serializers.URLField(help_text="Send the browser here to approve.")


class ConnectView(APIView):
    """POST /api/integrations/<provider>/connect -> {"authorization_url": ...}"""

    permission_classes = [IsOrgAdmin]

    @extend_schema(request=ConnectInput, responses={200: ConnectOutput},
                   summary="Start connecting a provider (OAuth consent)")
    def post(self, request, provider):
        data = ConnectInput(data=request.data)
        data.is_valid(raise_exception=True)
        url = services.start_connect(organization=request.organization, user=request.user,
                                     provider_key=provider,
                                     service_account=data.validated_data["service_account"])
        return Response({"authorization_url": url})


@require_GET
@login_required
def oauth_callback(request, provider):
    """Where the provider sends the browser back: finish, then show the Integrations page.
    An unknown provider, or one that does not connect through this address, is a 404 page
    that says where to connect it instead."""
    try:
        cls = services.provider_class(provider)
    except Http404 as exc:
        return HttpResponseNotFound(str(exc), content_type="text/plain; charset=utf-8")
    if not cls.can_connect_here():
        return HttpResponseNotFound(
            _("%(name)s does not connect through this address; connect it from its own "
              "settings page.") % {"name": cls.name}, content_type="text/plain; charset=utf-8")
    error = request.GET.get("error")
    if error:
        description = request.GET.get("error_description") or error
        messages.error(request, _("The connection was not made: the provider answered "
                                  "\"%(description)s\". Try again with \"Connect\".")
                       % {"description": description[:300]})
        return redirect("integrations:page")
    try:
        connection = services.finish_connect(provider_key=provider, params=request.GET.dict(),
                                             user=request.user)
    except ActionBlocked as exc:
        for problem in exc.problems:
            messages.error(request, problem.message)
        return redirect("integrations:page")
    except ProviderError as exc:
        messages.error(request, _("The connection was not made: %(message)s")
                       % {"message": exc.message})
        return redirect("integrations:page")
    company = connection.remote_company_name or connection.provider_name
    messages.success(request, _("Connected to %(name)s (%(company)s).")
                     % {"name": connection.provider_name, "company": company})
    return redirect("integrations:page")


class ExportInput(serializers.Serializer):
    type = serializers.CharField(max_length=40)
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1,
                                                               max_value=services.MAX_ID),
                                min_length=1,
                                max_length=services.MAX_IDS)


class JobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    local_id = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField(help_text="False: the same intent was queued before.")


class ExportOutput(serializers.Serializer):
    jobs = JobOutput(many=True)


class ExportView(ConnectionView):
    """POST /api/integrations/<id>/export {"type": "invoice", "ids": [1, 2]}: one job per id."""

    @extend_schema(request=ExportInput, responses={202: ExportOutput},
                   summary="Export records (one job per id)")
    def post(self, request, pk):
        connection = self.connection(request, pk)
        data = ExportInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            jobs = services.export_records(
                connection=connection, record_type=data.validated_data["type"],
                ids=data.validated_data["ids"], user=request.user)
        except services.RequestInvalid as exc:
            raise _invalid(exc) from None
        return Response({"jobs": [
            {"id": job.pk, "local_id": job.local_id, "status": job.status, "created": created}
            for job, created in jobs
        ]}, status=status.HTTP_202_ACCEPTED)


class SyncInput(serializers.Serializer):
    types = serializers.ListField(child=serializers.CharField(max_length=40), required=False,
                                  allow_empty=True)
    since = serializers.CharField(required=False, allow_blank=True, max_length=40)


class SyncOutput(serializers.Serializer):
    task_id = serializers.CharField()
    types = serializers.ListField(child=serializers.CharField())
    since = serializers.DateTimeField(allow_null=True)


class SyncView(ConnectionView):
    """POST /api/integrations/<id>/sync {"types": [...], "since": "2026-01-01"}: one import."""

    @extend_schema(request=SyncInput, responses={202: SyncOutput},
                   summary="Import what changed at the provider")
    def post(self, request, pk):
        connection = self.connection(request, pk)
        data = SyncInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            task_id, types, since = services.request_import(
                connection=connection, record_types=data.validated_data.get("types"),
                since=data.validated_data.get("since"))
        except services.RequestInvalid as exc:
            raise _invalid(exc) from None
        return Response({"task_id": task_id, "types": types,
                         "since": since.isoformat() if since else None},
                        status=status.HTTP_202_ACCEPTED)


class LastErrorOutput(serializers.Serializer):
    message = serializers.CharField()
    at = serializers.DateTimeField()
    job_id = serializers.IntegerField(allow_null=True)
    log_id = serializers.IntegerField()
    status = serializers.CharField()
    action = serializers.CharField()


class RecordTypeStateOutput(serializers.Serializer):
    label = serializers.CharField()
    direction = serializers.ChoiceField(choices=["out", "in", "both", ""])
    exports = serializers.BooleanField()
    imports = serializers.BooleanField()
    last_sync = serializers.DateTimeField(allow_null=True)
    linked = serializers.IntegerField()
    jobs = serializers.DictField(child=serializers.IntegerField(),
                                 help_text="Job status -> count.")
    cursor = serializers.CharField(allow_blank=True)
    last_error = LastErrorOutput(allow_null=True)


class StatusOutput(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    provider_name = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    status_reason = serializers.CharField(allow_blank=True)
    company = serializers.CharField(allow_blank=True)
    connected_at = serializers.DateTimeField(allow_null=True)
    last_sync_at = serializers.DateTimeField(allow_null=True)
    last_webhook_at = serializers.DateTimeField(allow_null=True)
    inbound = serializers.CharField()
    record_types = serializers.DictField(child=RecordTypeStateOutput(),
                                         help_text="Record type -> its state.")


class StatusView(ConnectionView):
    """GET /api/integrations/<id>/status: per record type, what is synced and what failed."""

    admin_only = False

    @extend_schema(responses={200: StatusOutput}, summary="A connection's sync state")
    def get(self, request, pk):
        state = selectors.connection_state(self.connection(request, pk))
        state["record_types"] = {row.pop("record_type"): row for row in state["record_types"]}
        return Response(state)


class DisconnectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class DisconnectView(ConnectionView):
    @extend_schema(request=None, responses={200: DisconnectOutput},
                   summary="Disconnect: revoke at the provider, clear the credentials here")
    def post(self, request, pk):
        connection = services.disconnect_rollback_unsafe(self.connection(request, pk),
                                                         user=request.user)
        return Response({"id": connection.pk, "status": connection.status})
