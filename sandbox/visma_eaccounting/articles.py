"""`/v2/articles`: list, create, read and replace [visma-eaccounting.md 6.5, SPEC23 ArticleApi].

Number (unique), Name, IsActive, an existing CodingId (the sales category from
`/articleaccountcodings`, which decides the VAT rate and the sales accounts) and an existing
UnitId are required. NetPrice and GrossPrice must agree with the coding's VAT rate (one may be
left out and is computed; both given and off by more than an öre answers 400 on GrossPrice
[CL "Updates for creating and updating articles"]). The coding's and unit's names, and
IsServiceArticle, are filled in; `ChangedUtc` moves on every write. ASSUMED: a Number in use
answers 400 ErrorCode 4000 (Conflict), also when two requests race for it.
"""

from decimal import Decimal

from django.db import transaction

from sandbox.visma_eaccounting import errors, fields, odata, store, webhooks
from sandbox.visma_eaccounting.api import body, endpoint

KIND = "article"
FILTERABLE = {"Id": odata.GUID, "Number": odata.STRING, "Name": odata.STRING,
              "IsActive": odata.BOOLEAN, "CodingId": odata.GUID, "UnitId": odata.GUID,
              "NetPrice": odata.NUMBER, "ChangedUtc": odata.DATETIME,
              "CreatedUtc": odata.DATETIME}


def coding_rate(coding):
    return Decimal(str(coding.get("VatRatePercent") or 0))


def _check(tenant, data, *, current=None):
    data = {key: value for key, value in fields.ARTICLE.writable(data).items()
            if value is not None}
    coding = store.find(tenant, "articleaccountcoding", str(data["CodingId"]).lower())
    if coding is None:
        errors.unknown_reference("CodingId", "ArticleAccountCoding")
    unit = store.find(tenant, "unit", str(data["UnitId"]).lower())
    if unit is None:
        errors.unknown_reference("UnitId", "Unit")
    rate = coding_rate(coding.data)
    net, gross = data.get("NetPrice"), data.get("GrossPrice")
    if net is None and gross is not None:
        net = store.money(Decimal(str(gross)) / (1 + rate))
    net = store.money(net or 0)
    expected_gross = store.money(net * (1 + rate))
    if gross is not None and abs(store.money(gross) - expected_gross) > Decimal("0.01"):
        errors.invalid(("GrossPrice", f"GrossPrice {gross} does not match NetPrice {net} with "
                                      f"VAT {rate:.0%} ({expected_gross})."))
    created = current.data.get("CreatedUtc") if current else None
    return {**data, "CodingId": coding.remote_id, "CodingName": coding.data["Name"],
            "UnitId": unit.remote_id, "UnitName": unit.data["Name"],
            "UnitAbbreviation": unit.data["Abbreviation"], "NetPrice": float(net),
            "GrossPrice": float(expected_gross if gross is None else store.money(gross)),
            "IsServiceArticle": coding.data.get("Type") == "Service",
            "IsStock": bool(data.get("IsStock")), "CreatedUtc": created or store.stamp(),
            "ChangedUtc": store.stamp()}


@endpoint(methods=("GET", "POST"))
def articles(request, tenant):
    if request.method == "POST":
        with transaction.atomic():
            data = _check(tenant, body(request, fields.ARTICLE))
            store.claim_number(tenant, KIND, data["Number"], "Number")
            record = store.create(tenant, KIND, data)
        webhooks.notify(tenant, KIND, "Created", record.data)
        return store.one(record.data, status=201)
    items = [record.data for record in store.records(tenant, KIND).order_by("id")]
    return store.page(request, items, filterable=FILTERABLE,
                      sortable=("Number", "Name", "ChangedUtc"))


@endpoint(methods=("GET", "PUT"))
def article(request, tenant, article_id):
    record = store.get(tenant, KIND, article_id, "Article")
    if request.method == "PUT":
        with transaction.atomic():
            data = _check(tenant, body(request, fields.ARTICLE), current=record)
            if data["Number"] != record.data["Number"]:
                store.claim_number(tenant, KIND, data["Number"], "Number")
                store.release_number(tenant, KIND, record.data["Number"])
            store.save(record, {"Id": record.remote_id, **data})
        webhooks.notify(tenant, KIND, "Changed", record.data)
    return store.one(record.data)
