"""What the contract page and the customer page show about the organization's accounting
system: read-only context from links, jobs and the contract's accounting fields (no writes)."""

from django.utils.translation import gettext as _

from contracts.dealerflow import services
from contracts.dealerflow.selectors import choose, is_connected
from integrations.models import Link, SyncJob

BADGE_CLASS = {"draft": "", "order": "warn", "invoiced": "warn", "sent": "warn",
               "partly_paid": "warn", "paid": "ok", "overdue": "err"}
ACTIVE = (SyncJob.Status.QUEUED, SyncJob.Status.RUNNING, SyncJob.Status.UNKNOWN)


def _latest_job(connection, operation, local_id):
    if connection is None:
        return None
    return (SyncJob.objects.filter(connection=connection, operation=operation,
                                   local_id=str(local_id)).order_by("-created_at").first())


def contract_panel(contract, *, check_remote=True, key=None):
    """The contract's part of the page: {} when the organization uses no accounting system."""
    cls, connection = choose(contract.organization, key)
    if cls is None:
        return {}
    flow = cls.dealer_flow
    links = {}
    if connection is not None:
        links = {link.record_type: link for link in Link.objects.filter(
            connection=connection, record_type__in=("order", "invoice"),
            local_id=str(contract.pk))}
    operations = (flow.order_operation, flow.invoice_operation, *flow.follow_up_operations)
    jobs = {op: _latest_job(connection, op, contract.pk) for op in operations}
    running = [job for job in jobs.values() if job is not None and job.status in ACTIVE]
    failed = [job for job in jobs.values()
              if job is not None and job.status in SyncJob.RETRYABLE_BY_HAND]
    order, invoice = links.get("order"), links.get("invoice")
    send_problems = [] if order else services.validate_contract(
        contract, cls=cls, connection=connection, check_remote=check_remote)
    invoice_problems = [] if invoice else services.validate_invoice(
        contract, cls=cls, connection=connection)
    busy = bool(running)
    return {
        "provider_key": cls.key,
        "provider_name": cls.name,
        "connection": connection,
        "connected": is_connected(connection),
        "contract": contract,
        "state": contract.accounting_state,
        "state_label": contract.get_accounting_state_display(),
        "badge_class": BADGE_CLASS.get(contract.accounting_state, ""),
        "order": order,
        "invoice": invoice,
        "jobs": jobs,
        "running": running,
        "busy": busy,
        "failed": failed,
        "send_problems": send_problems,
        "invoice_problems": invoice_problems,
        "can_send": not order and not send_problems and not busy,
        "show_invoice": order is not None and invoice is None,
        "can_invoice": order is not None and invoice is None and not invoice_problems
        and not busy,
        "busy_label": _("Sending to %(provider)s…") % {"provider": cls.name} if busy else "",
    }


def customer_panel(customer, *, key=None):
    """The customer's id at the accounting system and "Synk kunde"; {} when there is none."""
    cls, connection = choose(customer.organization, key)
    if cls is None or connection is None:
        return {}
    link = Link.objects.filter(connection=connection, record_type="customer",
                               local_id=str(customer.pk)).first()
    job = _latest_job(connection, cls.dealer_flow.customer_operation, customer.pk)
    return {
        "provider_key": cls.key,
        "provider_name": cls.name,
        "connection": connection,
        "connected": is_connected(connection),
        "customer": customer,
        "link": link,
        "job": job,
        "busy": job is not None and job.status in ACTIVE,
    }
