"""Row-level security on PostgreSQL (accounting/rls.py, rls_schema.py): every tenant table is
forced and has its policy, a query without an organization sees nothing, another organization's
id sees none of ours, and the entry points (middleware, tasks) set the organization. On SQLite
the contexts are no-ops and application scoping is the only wall (the last test)."""

from datetime import date

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from accounting import rls, rls_schema
from accounting.middleware import OrganizationMiddleware
from accounting.models import Customer, Invoice, InvoiceLine, Membership, Organization

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(
    not getattr(settings, "DATABASE_RLS", True), reason="DATABASE_RLS=false: switched off")]


@pytest.fixture
def strict(settings):
    """Nothing by default, as in production (the suite's default is a bypass)."""
    settings.RLS_PROCESS_DEFAULT_BYPASS = ""


@pytest.fixture
def two_orgs(org, other_org, make_user):
    for o, names in ((org, ["Ola", "Kari"]), (other_org, ["Sven"])):
        for name in names:
            customer = Customer.objects.create(organization=o, name=name)
        invoice = Invoice.objects.create(organization=o, customer=customer,
                                         issue_date=date(2026, 1, 1))
        InvoiceLine.objects.create(invoice=invoice, description="x", quantity=1, unit_price=1)
    make_user("ola", org)
    return org, other_org


def raw_count(table):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def tenant_models():
    from django.apps import apps

    return [m for m in apps.get_models() if not m._meta.proxy and any(
        f.is_relation and f.many_to_one and f.related_model is Organization
        for f in m._meta.local_concrete_fields)]


def test_every_model_with_an_organization_is_a_policy_table_and_lines_follow_their_parent():
    tables = rls_schema.policies()
    assert {m._meta.db_table for m in tenant_models()} <= set(tables)
    assert "accounting_invoiceline" in tables and "contracts_contractline" in tables
    assert "sandbox_sandboxrecord" not in tables and "accounting_organization" not in tables


@pytest.mark.postgres
def test_every_tenant_table_has_rls_enabled_forced_and_its_policy():
    rows = rls_schema.status()
    assert len(rows) == len(rls_schema.policies()) >= 27
    assert [r for r in rows if not (r[1] and r[2] and r[3] == [rls.POLICY])] == []


@pytest.mark.postgres
def test_the_app_runs_as_a_role_that_does_not_bypass_rls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                       "WHERE rolname = current_user")
        user, superuser, bypass = cursor.fetchone()
    assert (user, superuser, bypass) == (rls.app_role(), False, False)


@pytest.mark.postgres
def test_a_raw_query_without_an_organization_sees_nothing(two_orgs, strict):
    assert raw_count("accounting_customer") == 0
    assert raw_count("accounting_invoiceline") == 0
    assert Customer.objects.count() == 0  # the ORM too: a forgotten filter returns nothing
    with rls.rls_bypass("test: the rows exist"):
        assert raw_count("accounting_customer") == 3
        assert raw_count("accounting_invoiceline") == 2


@pytest.mark.postgres
def test_another_organizations_id_sees_none_of_ours(two_orgs):
    org, other = two_orgs
    with rls.tenant_context(other):
        assert raw_count("accounting_customer") == 1
        assert list(Customer.objects.values_list("name", flat=True)) == ["Sven"]
        assert not Customer.objects.filter(organization=org).exists()
        assert InvoiceLine.objects.count() == 1
    with rls.tenant_context(org):
        assert sorted(Customer.objects.values_list("name", flat=True)) == ["Kari", "Ola"]


@pytest.mark.postgres
def test_writing_a_row_of_another_organization_is_refused(two_orgs):
    org, other = two_orgs
    with rls.tenant_context(org):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Customer.objects.create(organization=other, name="Planted")
        # An update of another organization's rows matches nothing.
        assert Customer.objects.filter(organization=other).update(name="Taken") == 0
    with rls.rls_bypass("test: check"):
        assert not Customer.objects.filter(name__in=["Planted", "Taken"]).exists()


@pytest.mark.postgres
def test_memberships_show_the_users_own_and_the_organizations(two_orgs, strict,
                                                             django_user_model):
    org, other = two_orgs
    ola = django_user_model.objects.get(username="ola")
    with rls.tenant_context(None, user=ola.pk):
        assert list(Membership.objects.values_list("organization", flat=True)) == [org.pk]
    with rls.tenant_context(other):
        assert not Membership.objects.filter(user=ola).exists()


@pytest.mark.postgres
def test_a_rolled_back_change_of_organization_is_set_again(two_orgs, strict):
    org, other = two_orgs
    with rls.tenant_context(org):
        with transaction.atomic():
            with rls.tenant_context(other):
                assert Customer.objects.count() == 1  # set inside the savepoint
            assert Customer.objects.count() == 2
        try:
            with transaction.atomic():
                with rls.tenant_context(other):
                    Customer.objects.count()
                    raise RuntimeError
        except RuntimeError:
            pass
        assert Customer.objects.count() == 2  # the rollback undid the SET; we set it again


@pytest.mark.postgres
def test_the_middleware_runs_a_request_inside_the_users_organization(two_orgs, strict):
    org, _other = two_orgs
    from django.contrib.auth.models import AnonymousUser, User

    seen = {}

    def view(request):  # a view that forgets to filter by organization
        seen["names"] = sorted(Customer.objects.values_list("name", flat=True))
        return None

    request = RequestFactory().get("/customers/")
    request.user, request.session, request.COOKIES = User.objects.get(username="ola"), {}, {}
    OrganizationMiddleware(view)(request)
    assert seen["names"] == ["Kari", "Ola"]
    request.user = AnonymousUser()
    OrganizationMiddleware(view)(request)
    assert seen["names"] == []


@pytest.mark.postgres
def test_a_task_runs_inside_its_jobs_organization(two_orgs, strict):
    from integrations.models import Connection, SyncJob

    org, other = two_orgs
    with rls.rls_bypass("test: fixtures"):
        conn = Connection.objects.create(organization=other, provider="fakebooks",
                                         status=Connection.Status.CONNECTED)
        job = SyncJob.objects.create(organization=other, connection=conn, operation="x.y",
                                     record_type="customer", idempotency_key="k-1")
    with rls.organization_of(SyncJob, job.pk):
        assert list(Customer.objects.values_list("name", flat=True)) == ["Sven"]
    with rls.organization_of(SyncJob, 10**12):  # gone: nothing
        assert Customer.objects.count() == 0


@pytest.mark.postgres
def test_migrate_repairs_a_table_whose_policy_went_missing():
    with rls.as_owner("test: repair"):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP POLICY "{rls.POLICY}" ON accounting_customer')
            cursor.execute("ALTER TABLE accounting_customer NO FORCE ROW LEVEL SECURITY")
        changed = rls_schema.ensure()
        assert changed["tables"] == ["accounting_customer"]
        assert rls_schema.ensure()["tables"] == []  # nothing left to do


def test_on_sqlite_the_contexts_change_nothing(two_orgs, strict):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite: application scoping only")
    org, _other = two_orgs
    with rls.tenant_context(org):
        assert Customer.objects.count() == 3
        assert Customer.objects.for_org(org).count() == 2


@pytest.mark.postgres
def test_a_superusers_admin_spans_organizations_and_an_org_admins_does_not(
        two_orgs, strict, make_user, django_user_model):
    from django.test import Client

    org, _other = two_orgs
    with rls.rls_bypass("test: fixtures"):
        superuser = django_user_model.objects.create_superuser("root", password="pw-123456")
        boss = make_user("boss", org, role="admin")
    root = Client()
    root.force_login(superuser)
    page = root.get("/admin/accounting/customer/").content.decode()
    assert all(name in page for name in ("Ola", "Kari", "Sven"))
    admin = Client()
    admin.force_login(boss)
    page = admin.get("/admin/accounting/customer/").content.decode()
    assert "Ola" in page and "Sven" not in page


@pytest.mark.postgres
def test_a_write_outside_any_organization_is_refused_saying_why(two_orgs, strict):
    org, _other = two_orgs
    with pytest.raises(DatabaseError, match=r"row-level security.*no organization"), \
            transaction.atomic():
        Customer.objects.create(organization=org, name="Nobody's")
