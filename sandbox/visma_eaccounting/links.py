"""`/v2/partnerresourcelinks` and `/v2/webhooks`: what a partner keeps inside a company.

Partner resource links [visma-eaccounting.md 7]: a link from one of the company's entities
(`ResourceType` 0 Article, 1 Customer, 2 Supplier, 3 CustomerInvoice, 4 SupplierInvoice,
5 CustomerInvoiceDraft, 6 SupplierInvoiceDraft; `ResourceId`) to the partner's own record
(`Href`, at most 256 characters). All of ResourceId, ResourceType, Href, PartnerCompanyName and
PartnerSystemName are required; the entity must exist (for the types this simulator keeps).
ASSUMED (listing by ResourceId is UNCONFIRMED): the list takes `$filter` on ResourceId,
ResourceType and Href like any other.

Webhooks [visma-eaccounting.md 8]: registered per company (Endpoint, AuthenticationKey/Value,
SigningKey, Active, Subscriptions[].SubscriptionType). The real feature is beta and not
available in production; the simulator keeps the registrations and sends the documented
notifications (webhooks.py) so the hub's receiving end can be exercised.
"""

from sandbox.visma_eaccounting import errors, fields, odata, store
from sandbox.visma_eaccounting import webhooks as sender
from sandbox.visma_eaccounting.api import body, endpoint

RESOURCE_KINDS = {0: "article", 1: "customer", 3: "customerinvoice", 5: "customerinvoicedraft"}
LINK_FILTERS = {"Id": odata.GUID, "ResourceId": odata.GUID, "ResourceType": odata.NUMBER,
                "Href": odata.STRING, "PartnerSystemName": odata.STRING}
PARTNER_SCOPES = {"GET": ("ea:sales", "ea:sales_readonly", "ea:purchase",
                          "ea:purchase_readonly")}
PARTNER_WRITE = ("ea:sales", "ea:purchase")
WEBHOOK_SCOPES = ("ea:accounting", "ea:purchase", "ea:sales")


def _link(tenant, data):
    data = fields.PARTNER_RESOURCE_LINK.writable(data)
    kind = RESOURCE_KINDS.get(data["ResourceType"])
    if kind is not None and store.find(tenant, kind, data["ResourceId"].lower()) is None:
        errors.unknown_reference("ResourceId", "The linked resource")
    return {**data, "ResourceId": data["ResourceId"].lower()}


@endpoint(methods=("GET", "POST"), write=PARTNER_WRITE, scopes=PARTNER_SCOPES)
def partnerresourcelinks(request, tenant):
    if request.method == "POST":
        record = store.create(tenant, "partnerresourcelink",
                              _link(tenant, body(request, fields.PARTNER_RESOURCE_LINK)))
        return store.one(record.data, status=201)
    items = [record.data for record in
             store.records(tenant, "partnerresourcelink").order_by("id")]
    return store.page(request, items, filterable=LINK_FILTERS)


@endpoint(methods=("GET", "PUT", "DELETE"), write=PARTNER_WRITE, scopes=PARTNER_SCOPES)
def partnerresourcelink(request, tenant, link_id):
    record = store.get(tenant, "partnerresourcelink", link_id, "PartnerResourceLink")
    if request.method == "DELETE":
        record.delete()
        return store.one({})
    if request.method == "PUT":
        data = _link(tenant, body(request, fields.PARTNER_RESOURCE_LINK))
        store.save(record, {"Id": record.remote_id, **data})
    return store.one(record.data)


def _webhook(request, data, *, created=None):
    data = {key: value for key, value in fields.WEBHOOK.writable(data).items()
            if value is not None}
    endpoint_url = data.get("Endpoint") or ""
    if not endpoint_url.startswith(("https://", "http://")):
        errors.invalid(("Endpoint", "The endpoint must be an absolute HTTPS URL."))
    subscriptions = [{"SubscriptionType": item["SubscriptionType"]}
                     for item in data.get("Subscriptions") or []]
    now = store.stamp()
    return {**data, "Active": bool(data.get("Active")), "Subscriptions": subscriptions,
            "ClientId": request.sandbox_token.client_id, "CreatedUtc": created or now,
            "ModifiedUtc": now}


@endpoint(methods=("GET", "POST"), read=WEBHOOK_SCOPES, write=WEBHOOK_SCOPES)
def webhooks(request, tenant):
    if request.method == "POST":
        data = _webhook(request, body(request, fields.WEBHOOK))
        if data["Active"]:
            sender.test_call(tenant, data)
        sender.remember_api_root(request, tenant)
        record = store.create(tenant, "webhook", data)
        for item in record.data["Subscriptions"]:
            item["WebHookId"] = record.remote_id
        store.save(record, record.data)
        return store.one(record.data, status=201)
    items = [record.data for record in store.records(tenant, "webhook").order_by("id")]
    return store.page(request, items)


@endpoint(methods=("GET", "PUT", "DELETE"), read=WEBHOOK_SCOPES, write=WEBHOOK_SCOPES)
def webhook(request, tenant, webhook_id):
    record = store.get(tenant, "webhook", webhook_id, "WebHook")
    if request.method == "DELETE":
        record.delete()
        return store.one({})
    if request.method == "PUT":
        data = _webhook(request, body(request, fields.WEBHOOK),
                        created=record.data["CreatedUtc"])
        if data["Active"]:
            sender.test_call(tenant, data)
        sender.remember_api_root(request, tenant)
        for item in data["Subscriptions"]:
            item["WebHookId"] = record.remote_id
        store.save(record, {"Id": record.remote_id, **data})
    return store.one(record.data)
