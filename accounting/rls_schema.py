"""Row-level security's role, grants and policies on PostgreSQL, kept in step with the models.

`ensure()` runs after every `migrate` (a `post_migrate` handler, `AccountingConfig.ready`), so a
tenant table added by any app (a new provider's own small app included) gets its policy
without anyone remembering: the tables are discovered from the installed models.

- A tenant table is a managed model's table with a foreign key to `Organization`: its policy
  compares that column with the session's `app.organization_id`. (`Membership` also shows a
  user's own memberships: `USER_VISIBLE`.)
- A table whose rows belong to a tenant row (a non-null foreign key to a tenant model, like an
  invoice's lines) is visible exactly when its parent row is: `EXISTS` over the parent, whose
  own policy applies inside it.
- Every policy also admits a session whose `app.rls_bypass` holds a reason (`rls.rls_bypass`).

The app role (`DATABASE_RLS_ROLE`, NOLOGIN, no BYPASSRLS) is created when the login role may
(a superuser in development and CI) and granted the data privileges on every table and
sequence of the schema; it owns nothing, so FORCE is what makes the owner obey as well.
"""

import logging
import re

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

from accounting import rls

logger = logging.getLogger("accounting.rls")

BYPASS = f"current_setting('{rls.BYPASS_SETTING}', true) <> ''"
_ORG = f"NULLIF(current_setting('{rls.ORG_SETTING}', true), '')::bigint"
_USER = f"NULLIF(current_setting('{rls.USER_SETTING}', true), '')::bigint"
# Tenant tables whose rows a user also sees for themself (model label: the user column's field).
USER_VISIBLE = {"accounting.Membership": "user"}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _q(name):
    return '"' + name.replace('"', '""') + '"'


def _models():
    for model in apps.get_models():
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            yield model


def policies() -> dict[str, str]:
    """{table: the policy's condition} for every tenant table of every installed app."""
    from accounting.models import Organization

    direct, result = {}, {}
    for model in _models():
        fk = next((f for f in model._meta.local_concrete_fields
                   if f.is_relation and f.many_to_one and f.related_model is Organization), None)
        if fk is None:
            continue
        direct[model] = fk
        condition = f"{_q(fk.column)} = {_ORG}"
        user_field = USER_VISIBLE.get(model._meta.label)
        if user_field:
            column = model._meta.get_field(user_field).column
            condition = f"{condition} OR {_q(column)} = {_USER}"
        result[model._meta.db_table] = condition
    for model in _models():
        if model in direct:
            continue
        table = model._meta.db_table
        parent_fk = next((f for f in model._meta.local_concrete_fields
                          if f.is_relation and (f.many_to_one or f.one_to_one) and not f.null
                          and f.related_model in direct), None)
        if parent_fk is not None:
            parent = parent_fk.related_model._meta
            target = parent_fk.target_field.column
            result[table] = (f"EXISTS (SELECT 1 FROM {_q(parent.db_table)} parent WHERE "
                             f"parent.{_q(target)} = {_q(table)}.{_q(parent_fk.column)})")
    return {table: f"{BYPASS} OR ({condition})" for table, condition in result.items()}


def ensure(using=DEFAULT_DB_ALIAS, *, verbosity=1) -> dict:
    """Make the database match: role, grants, RLS enabled and forced, one current policy per
    tenant table (or, with `DATABASE_RLS=false`, RLS off again). Returns what it changed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {}
    wanted = policies() if rls.enabled(connection) else {}
    changed = {"role": False, "tables": []}
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolcreaterole, current_user, current_schema() "
                       "FROM pg_roles WHERE rolname = current_user")
        may_create_role, user, schema = cursor.fetchone()
        role = rls.app_role()
        if wanted and user != role:
            changed["role"] = _ensure_role(cursor, role, user, schema, may_create_role)
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user) OR "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
            "ARRAY(SELECT policyname::text FROM pg_policies p WHERE p.schemaname = n.nspname "
            "AND p.tablename = c.relname AND p.policyname LIKE 'hub\\_tenant\\_%%') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')")
        for table, enabled, forced, owner, names in cursor.fetchall():
            if table in wanted:
                if enabled and forced and names == [rls.POLICY]:
                    continue
                if not owner:
                    logger.warning("RLS of %s needs the table's owner (run migrate as it).",
                                   table)
                    continue
                for name in names:
                    cursor.execute(f"DROP POLICY {_q(name)} ON {_q(table)}")
                cursor.execute(f"ALTER TABLE {_q(table)} ENABLE ROW LEVEL SECURITY")
                cursor.execute(f"ALTER TABLE {_q(table)} FORCE ROW LEVEL SECURITY")
                cursor.execute(f"CREATE POLICY {_q(rls.POLICY)} ON {_q(table)} FOR ALL "
                               f"USING ({wanted[table]})")
                changed["tables"].append(table)
            elif names and owner:  # ours, but no longer a tenant table (or RLS switched off)
                for name in names:
                    cursor.execute(f"DROP POLICY {_q(name)} ON {_q(table)}")
                cursor.execute(f"ALTER TABLE {_q(table)} NO FORCE ROW LEVEL SECURITY")
                cursor.execute(f"ALTER TABLE {_q(table)} DISABLE ROW LEVEL SECURITY")
                changed["tables"].append(table)
    if verbosity and changed["tables"]:
        logger.info("row-level security updated on %d table(s)", len(changed["tables"]))
    return changed


def _ensure_role(cursor, role, user, schema, may_create_role) -> bool:
    if not _IDENTIFIER.match(role):
        raise ValueError(f"DATABASE_RLS_ROLE {role!r} is not a plain lower-case identifier")
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    created = False
    if cursor.fetchone() is None:
        if not may_create_role:
            logger.warning("The role %s does not exist and %s may not create it: create it "
                           "(NOLOGIN NOBYPASSRLS) or connect as an ordinary owner role.",
                           role, "this login")
            return False
        # Roles are shared by every database of the server: another migrate may race us.
        cursor.execute(f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS; "
                       f"EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        created = True
    # The app role may change the tables the login role owns (a test that migrates by hand, a
    # flush): ownership through membership, still under FORCE. It can SET ROLE back to the
    # login role, as that login's own session can RESET ROLE anyway: RLS binds the app's
    # queries, not someone who runs SQL of their choosing on a superuser's session.
    cursor.execute("SELECT pg_has_role(%s, current_user, 'MEMBER'), session_user = current_user",
                   [role])
    member, login = cursor.fetchone()
    if login and not member and may_create_role:
        cursor.execute(f"DO $$ BEGIN GRANT {_q(user)} TO {role}; EXCEPTION WHEN "
                       f"duplicate_object OR unique_violation THEN NULL; END $$")
    cursor.execute(f"GRANT USAGE ON SCHEMA {_q(schema)} TO {role}")
    cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES "
                   f"ON ALL TABLES IN SCHEMA {_q(schema)} TO {role}")
    cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {_q(schema)} "
                   f"TO {role}")
    return created


def status(using=DEFAULT_DB_ALIAS) -> list[tuple]:
    """(table, RLS enabled, forced, policies) for every tenant table: for tests and operators."""
    connection = connections[using]
    wanted = sorted(policies())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, ARRAY(SELECT "
            "policyname::text FROM pg_policies p WHERE p.schemaname = n.nspname AND "
            "p.tablename = c.relname) FROM pg_class c JOIN pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = ANY(%s) "
            "ORDER BY c.relname", [wanted])
        return cursor.fetchall()


def on_post_migrate(sender, using=DEFAULT_DB_ALIAS, verbosity=1, **kwargs):
    if sender.name == "accounting":  # sent once per app; every table exists by then
        ensure(using, verbosity=verbosity)
