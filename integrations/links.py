"""Links: one local record <-> one remote object, per connection and record type.

A link is unique both ways (`link_unique_local`, `link_unique_remote`), which is what keeps one
remote object per intent when an outcome was unknown. Every writer goes through `store_link`,
so a lost race and a remote object claimed by another record end the same way everywhere.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.errors import PermanentError
from integrations.models import Link


class LinkConflict(IntegrityError, PermanentError):
    """The remote object is already linked to another local record.

    An IntegrityError, so a caller that rolls a whole outcome back on one (the engine) still
    does; a PermanentError, so a provider operation that links in passing fails the job with
    words a person can act on instead of a crash."""

    def __init__(self, message):
        PermanentError.__init__(self, message)


def local_record(model_or_queryset, organization, local_id, *, label):
    """The local record a job or a link names, inside its organization. A PermanentError when
    it was deleted since: nothing can be sent for it, however often it is retried."""
    queryset = (model_or_queryset.objects.all() if isinstance(model_or_queryset, type)
                else model_or_queryset)
    record = queryset.for_org(organization).filter(pk=local_id).first()
    if record is None:
        raise PermanentError(_("The %(label)s %(local_id)s no longer exists here; nothing was "
                               "sent.") % {"label": label, "local_id": local_id})
    return record


def find_link(connection, record_type, local_id):
    return Link.objects.filter(connection=connection, record_type=record_type,
                               local_id=str(local_id)).first()


def find_link_by_remote(connection, record_type, remote_id):
    return Link.objects.filter(connection=connection, record_type=record_type,
                               remote_id=str(remote_id)).first()


# Ids per IN (...) clause: far below SQLite's bound parameters (32766) and PostgreSQL's, so a
# page of any provider's list is one query.
IN_CHUNK = 5000


def _chunks(ids):
    ids = list(dict.fromkeys(str(i) for i in ids if i not in (None, "")))
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start:start + IN_CHUNK]


def links_by_remote(connection, record_types, remote_ids) -> dict:
    """{remote id: Link} for a page of remote ids, in one query (per IN_CHUNK ids).
    `record_types` is one type or several; with several, the first listed wins an id linked
    under more than one."""
    types = [record_types] if isinstance(record_types, str) else list(record_types)
    found = {}
    for chunk in _chunks(remote_ids):
        for link in Link.objects.filter(connection=connection, record_type__in=types,
                                        remote_id__in=chunk):
            other = found.get(link.remote_id)
            if other is None or types.index(link.record_type) < types.index(other.record_type):
                found[link.remote_id] = link
    return found


def local_records(model_or_queryset, organization, local_ids) -> dict:
    """{str(pk): record} of the local records a page of links names, inside the organization,
    in one query (per IN_CHUNK ids); a deleted one is simply absent."""
    queryset = (model_or_queryset.objects.all() if isinstance(model_or_queryset, type)
                else model_or_queryset)
    found = {}
    for chunk in _chunks(local_ids):
        found.update({str(record.pk): record
                      for record in queryset.for_org(organization).filter(pk__in=chunk)})
    return found


def linked_remote_ids(connection, record_type) -> set:
    """Remote ids already claimed by some local record (not to be adopted again)."""
    return set(Link.objects.filter(connection=connection, record_type=record_type)
               .values_list("remote_id", flat=True))


def store_link(connection, record_type, local_id, remote_id, *, remote_number="", remote_url="",
               data=None, remote_modified_at=None):
    """Create or update the link of (record type, local id) to `remote_id` and return it
    (with the fields written here; `data` and `remote_modified_at` as given, else as a new
    link has them).

    `data` (the sync snapshot) and `remote_modified_at` are written only when given. One
    statement (INSERT ... ON CONFLICT on `link_unique_local` DO UPDATE), so it is safe when two
    workers store the same link at once (the loser updates the winner's row); raises
    LinkConflict when the remote object is already linked to another local record (the other
    unique constraint, which ON CONFLICT does not cover)."""
    defaults = {"organization_id": connection.organization_id, "remote_id": str(remote_id),
                "remote_number": str(remote_number or ""), "remote_url": remote_url or "",
                "synced_at": timezone.now()}
    if data is not None:
        defaults["data"] = data
    if remote_modified_at is not None:
        defaults["remote_modified_at"] = remote_modified_at
    link = Link(connection=connection, record_type=record_type, local_id=str(local_id),
                **defaults)
    # PostgreSQL resolves ON CONFLICT only on the named constraint: a worker storing the same
    # link at the same moment can still trip the remote one. That is the same link, not a
    # conflict: the statement is sent once more, and then updates the row the other one made.
    for again in (True, False):
        try:
            with transaction.atomic():
                Link.objects.bulk_create(
                    [link], update_conflicts=True,
                    unique_fields=["connection", "record_type", "local_id"],
                    update_fields=["organization" if name == "organization_id" else name
                                   for name in defaults])
            return link
        except IntegrityError as exc:
            other = find_link_by_remote(connection, record_type, remote_id)
            if other is not None and other.local_id == str(local_id) and again:
                continue
            if other is None or other.local_id == str(local_id):
                raise
            raise LinkConflict(
                _("The remote %(record_type)s %(remote_id)s is already linked to another "
                  "local record (%(local_id)s); unlink one of them in admin (Links).")
                % {"record_type": record_type, "remote_id": remote_id,
                   "local_id": other.local_id}
            ) from exc
    return link
