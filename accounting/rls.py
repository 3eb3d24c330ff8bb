"""Row-level security on PostgreSQL: the database's own wall between organizations.

Application scoping (`TenantModel.objects.for_org`) is the first wall; this is the second. On
PostgreSQL every tenant table (every model with a foreign key to `Organization`, in any
installed app, and every table whose rows belong to such a row, like an invoice's lines) has
row-level security enabled and FORCED, with one policy: a row is visible and writable only
while the session's `app.organization_id` is its organization. Nothing set means nothing seen:
a query that forgets its organization returns zero rows and an insert is refused.

Who sets it, in this order of precedence (innermost wins), all through `contextvars`:

- `tenant_context(org, user=None)`: work inside one organization (the middleware for every
  signed-in request, every task that acts on one organization's job, event or connection,
  `--org` of management commands). `user` also shows the user's own memberships of other
  organizations (the organization switcher).
- `rls_bypass(reason)`: the explicit, named way around it (migrations, the superuser's Django
  admin, the sweeper, cross-organization schedules, the webhook inbox, which knows the
  organization only after it found the connection). The reason is what the session's
  `app.rls_bypass` holds, so `pg_stat_activity`-side debugging shows why.
- the process default: nothing (production). The test suite's settings make it a bypass
  (`RLS_PROCESS_DEFAULT_BYPASS`), since fixtures create rows of several organizations; requests
  and tasks inside the tests still set their own context.

How it reaches the database: the app's connections run as a role that does not bypass RLS. A
login role that would (a superuser, or BYPASSRLS: the trust-auth `postgres` of development and
CI) switches to `DATABASE_RLS_ROLE` (`hub_app`, NOLOGIN, created by `migrate`) with `SET ROLE`
when the connection opens; a production login role that is an ordinary owner of the tables is
subject to the policies as it is (FORCE). Migrations run as the login role (`migrate` is
wrapped, `accounting/management/commands/migrate.py`). Before each statement a Django
`execute_wrapper` compares what the session holds with the current context and, only when they
differ, sends one `set_config(...)` (session-level; a change made inside a transaction is
re-checked after it, since a rollback undoes it). SQLite has no row-level security: there the
application scoping is the only wall, and all of this is a no-op.
"""

import contextlib
import contextvars
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.db.utils import DEFAULT_DB_ALIAS

logger = logging.getLogger("accounting.rls")

ORG_SETTING = "app.organization_id"
USER_SETTING = "app.user_id"
BYPASS_SETTING = "app.rls_bypass"
POLICY = "hub_tenant_v1"  # a new version of the policy gets a new name (see ensure_policies)
NO_DB_ALIAS = "__no_db__"  # Django's connection for CREATE DATABASE and the like
IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open on the session


@dataclass(frozen=True)
class Scope:
    organization_id: int | None = None
    user_id: int | None = None
    bypass: str = ""  # the reason, when bypassing
    owner: bool = False  # run as the login role (migrations), not as the app role

    def settings(self):
        return (str(self.organization_id or ""), str(self.user_id or ""), self.bypass)


NOTHING = Scope()
_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("hub_rls_scope",
                                                                      default=None)


def enabled(connection=None) -> bool:
    connection = connection or connections[DEFAULT_DB_ALIAS]
    return connection.vendor == "postgresql" and getattr(settings, "DATABASE_RLS", True)


def app_role() -> str:
    return getattr(settings, "DATABASE_RLS_ROLE", "hub_app")


_process_default_reason = ""


def set_process_default_bypass(reason: str):
    """Make every thread of this process without a context of its own see every organization,
    for a named reason: scripts whose fixtures span organizations (benchmarks). Never in the
    app's own processes (web, workers, dispatcher)."""
    global _process_default_reason
    _process_default_reason = reason


def current() -> Scope:
    scope = _scope.get()
    if scope is not None:
        return scope
    reason = (_process_default_reason
              or getattr(settings, "RLS_PROCESS_DEFAULT_BYPASS", ""))
    return Scope(bypass=reason) if reason else NOTHING


def _org_id(organization):
    if organization is None:
        return None
    if isinstance(organization, int):
        return organization
    # `not organization`: the middleware's lazy object wraps None without being None.
    return organization.pk if organization else None


@contextlib.contextmanager
def _entered(scope: Scope):
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def tenant_context(organization, *, user=None):
    """Work inside one organization (a model instance, an id, or None for nothing)."""
    user_id = user if isinstance(user, int) or user is None else user.pk
    return _entered(Scope(organization_id=_org_id(organization), user_id=user_id,
                          owner=current().owner))


def rls_bypass(reason: str):
    """See every organization's rows, for a named reason (it must say why)."""
    if not reason or not reason.strip():
        raise ValueError("rls_bypass needs a reason")
    return _entered(Scope(bypass=reason.strip()[:200], owner=current().owner))


def as_owner(reason: str):
    """Run as the login role, bypassing RLS: migrations (DDL needs the tables' owner)."""
    return _entered(Scope(bypass=reason, owner=True))


@contextlib.contextmanager
def organization_of(model, pk, *, reason=None):
    """Enter the context of the organization that the `model` row `pk` belongs to, looked up
    with one named bypass (a task knows its job's id before it knows its organization). A row
    that is gone, or has no organization, leaves the context at nothing."""
    with rls_bypass(reason or f"find the organization of {model._meta.label} {pk}"):
        try:
            org_id = (model._base_manager.filter(pk=pk)
                      .values_list("organization_id", flat=True).first())
        except (ValueError, TypeError):
            org_id = None
    with tenant_context(org_id) as scope:
        yield scope


# -- the connection side ----------------------------------------------------------------------
class _ConnState:
    """What one database session holds: (org, user, bypass, role), and whether it was set
    inside a transaction that may still roll back (then it is checked again after it)."""

    __slots__ = ("applied", "role", "txn", "login_bypasses", "role_exists")

    def __init__(self):
        self.applied = None
        self.role = None  # None: the login role; else the role SET
        self.txn = None  # the `run_on_commit` list of the transaction that set `applied`
        self.login_bypasses = False
        self.role_exists = False


def _raw_execute(connection, sql, params=None):
    # Straight to psycopg: not through Django's cursor (no wrappers, no query log).
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def _check_login(connection, state):
    row = _raw_execute(connection, "SELECT r.rolsuper OR r.rolbypassrls, EXISTS (SELECT 1 FROM "
                                   "pg_roles WHERE rolname = %s) FROM pg_roles r "
                                   "WHERE r.rolname = session_user", [app_role()])
    state.login_bypasses, state.role_exists = bool(row and row[0]), bool(row and row[1])
    if state.login_bypasses and not state.role_exists:
        logger.warning("Row-level security is not enforced on this connection: the login role "
                       "bypasses it and the role %s does not exist yet (manage.py migrate "
                       "creates it).", app_role())


def _sync(connection):
    state = getattr(connection, "_hub_rls", None)
    if state is None or connection.needs_rollback:  # a broken transaction: the statement
        return  # itself will be refused
    scope = current()
    want_role = app_role() if (state.login_bypasses and state.role_exists
                               and not scope.owner) else None
    want = scope.settings()
    # Inside a transaction, or about to open one (psycopg begins it at the first statement).
    in_transaction = (not connection.connection.autocommit
                      or connection.connection.info.transaction_status != IDLE)
    if state.txn is not None:  # set inside a transaction: valid only while it is the same one
        if not in_transaction or connection.run_on_commit is not state.txn:
            state.applied = state.role = object()  # a rollback may have undone it: set again
            state.txn = None
    if state.applied == want and state.role == want_role:
        return
    if state.role != want_role:
        _raw_execute(connection, f'SET ROLE "{want_role}"' if want_role else "RESET ROLE")
    _raw_execute(connection, "SELECT set_config(%s, %s, false), set_config(%s, %s, false), "
                             "set_config(%s, %s, false)",
                 [ORG_SETTING, want[0], USER_SETTING, want[1], BYPASS_SETTING, want[2]])
    state.applied, state.role = want, want_role
    # Django replaces `run_on_commit` when a transaction or savepoint ends by rollback or commit.
    state.txn = connection.run_on_commit if in_transaction else None


def describe(scope: Scope) -> str:
    if scope.bypass:
        return f"bypass ({scope.bypass})"
    if scope.organization_id:
        return f"organization {scope.organization_id}"
    return "no organization (rls.tenant_context(org) or rls.rls_bypass(reason) sets one)"


def _wrapper(execute, sql, params, many, context):
    _sync(context["connection"])
    try:
        return execute(sql, params, many, context)
    except DatabaseError as exc:
        if "row-level security" not in str(exc):
            raise
        # Say which context refused the write, and where contexts come from.
        raise type(exc)(f"{exc} [row-level security context: {describe(current())}; see "
                        f"accounting/rls.py]") from exc


def _on_connection_created(sender, connection, **kwargs):
    if connection.alias == NO_DB_ALIAS or not enabled(connection):
        return
    state = _ConnState()
    _check_login(connection, state)
    connection._hub_rls = state
    if _wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_wrapper)


def recheck_role(connection):
    """After `migrate` created the app role: let open connections switch to it."""
    state = getattr(connection, "_hub_rls", None)
    if state is not None and connection.connection is not None:
        _check_login(connection, state)
        state.applied = state.role = object()


connection_created.connect(_on_connection_created, dispatch_uid="accounting.rls")
