"""What `make run` prints before the servers start: where to go and who to log in as.

The logins are read from the database, so the banner shows what exists, not what should."""

from django.core.management.base import BaseCommand

from accounting import rls
from accounting.models import Membership
from contracts.demo_data import DEMO_PASSWORD, USERS

CAN_DO = {
    Membership.Role.ADMIN: "Django admin (mapping editor, sync monitor, connections) + staff pages",
    Membership.Role.STAFF: "staff pages: contracts, customers, cars, projects, hours, invoices",
}


def _join(base, path):
    return f"{base.rstrip('/')}/{path}"


class Command(BaseCommand):
    help = "Print the app, admin and sandbox URLs and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="The app's address")
        parser.add_argument(
            "--sandbox", default="", help="The provider sandbox's address (omit if not running)"
        )

    @rls.rls_bypass("demo banner: every demo organization")
    def handle(self, *args, url, sandbox, **options):
        rule = "=" * 78
        lines = [
            rule,
            "  Regnskapshub (Nordic accounting hub) is starting",
            rule,
            f"  App      {_join(url, '')}",
            f"  Admin    {_join(url, 'admin/')}",
        ]
        if sandbox:
            lines.append(f"  Sandbox  {_join(sandbox, '')}  (the simulated accounting systems)")
        lines += ["", *self.login_lines(), rule]
        self.stdout.write("\n".join(lines))

    def login_lines(self):
        memberships = (
            Membership.objects.select_related("user", "organization")
            .filter(user__is_active=True)
            .order_by("organization__name", "role", "user__username")
        )
        if not memberships:
            return ["  No logins yet: run `make run` to create them (it loads the demo)."]
        width = max(len(m.user.get_username()) for m in memberships)
        lines, organization = ["  Logins"], None
        for membership in memberships:
            if membership.organization != organization:
                organization = membership.organization
                lines.append(f"  {organization.name} ({organization.slug}):")
            username = membership.user.get_username()
            password = DEMO_PASSWORD if username in USERS else "(own password)"
            can_do = CAN_DO.get(membership.role, membership.get_role_display())
            lines.append(f"    {username.ljust(width)}  {password}  {membership.role:<5}  {can_do}")
        if any(m.user.get_username() in USERS for m in memberships):
            lines += ["", f"  The password {DEMO_PASSWORD!r} is for the demo only."]
        return lines
