"""The pay codes every Spiris Lön company starts with (a standard set, cut down to what an
addition/deduction shortcut and a travel claim use), given to every company of the Visma
identity server: at `manage.py sandbox_seed`, when the consent page creates a company, and
on first use by a company created some other way (a test's `identity.ensure_company`)."""

import uuid

from sandbox.visma_eaccounting import identity
from sandbox.visma_payroll import store

# (number, name, group): the group decides the list of /v2/paycodes/otheradditiondeduction
# it is in; "Travel" codes are only in /v2/paycodes.
PAYCODES = [
    ("1310", "Bonus", "Compensation"),
    ("1320", "Provision", "Compensation"),
    ("1330", "Engångsbelopp", "Compensation"),
    ("1340", "Övertidsersättning", "Compensation"),
    ("1350", "Lönetillägg", "Compensation"),
    ("2310", "Löneavdrag", "Deduction"),
    ("2320", "Avdrag förskott", "Deduction"),
    ("3310", "Kostförmån", "Benefit"),
    ("3320", "Bilförmån", "Benefit"),
    ("4310", "Justering preliminärskatt", "AdjustmentTax"),
    ("5010", "Traktamente inrikes", "Travel"),
    ("5110", "Bilersättning", "Travel"),
]
_TYPE_IDS = {group: str(uuid.uuid5(uuid.NAMESPACE_URL, f"spiris-paycode-type-{group}"))
             for group in {g for _, _, g in PAYCODES}}


def ensure_paycodes(tenant):
    if store.records(tenant, "paycode").exists():
        return
    now = store.now_utc()
    for number, name, group in PAYCODES:
        store.create(tenant, "paycode", {
            "PaycodeNumber": number, "PaycodeName": name, "PaycodeTypeName": group,
            "PaycodeTypeId": _TYPE_IDS[group], "Formula": None,
            "CanBeUsedByBlueCollars": True, "CanBeUsedByWhiteCollars": True,
            "CanBeUsedForMonthlySalary": True, "CanBeUsedForHourlySalary": True,
            "CanBeUsedByLimitedEmployees": group != "Travel", "VisibleOnPayslipPrint": True,
            "ModifiedUtc": now, "_Group": group,
        }, remote_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant.external_id}-paycode-{number}"))


CALLBACK_PATH = "/api/integrations/visma_payroll/callback"


def seed_demo():
    """Pay codes for every Visma company, and the hub's payroll callback registered on the
    identity server's demo app (one app serves both Visma products)."""
    from django.conf import settings

    from sandbox.models import SandboxClient, SandboxTenant
    from sandbox.visma_eaccounting.seed import DEMO_CLIENT_ID, add_redirect_uri

    for tenant in SandboxTenant.objects.filter(provider=identity.REALM):
        ensure_paycodes(tenant)
    client = SandboxClient.objects.filter(provider=identity.REALM,
                                          client_id=DEMO_CLIENT_ID).first()
    if client is not None:
        base = getattr(settings, "APP_BASE_URL", "").rstrip("/")
        for uri in dict.fromkeys(["http://127.0.0.1:8000" + CALLBACK_PATH]
                                 + ([base + CALLBACK_PATH] if base else [])):
            add_redirect_uri(client, uri)


identity.on_company_created(ensure_paycodes)
