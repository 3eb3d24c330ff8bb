"""The products an order's lines need in PowerOffice Go (Go takes a line's account, and so its
VAT, from the line's product), asked for as seldom as is safe, since a person's click waits for a
slot of the shared 10 per second budget per request:

- **Remembered per connection.** A product we found, corrected or created is remembered (Django's
  cache, per process with the default local-memory cache) with the account and name it then had,
  for POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS (0: never), the same time an account's VAT code is
  trusted (`checks`): together they decide the VAT of an order's lines. Only a remembered product
  that agrees with the mapping is used; one that disagrees (the mapping changed) is read again,
  never corrected from memory. An order that fails forgets the products it took from memory
  (`forget`), so its retry reads them again (one may have been deleted in Go).
- **The car is created without a lookup.** Each car is a product of its own (`ProductSpec.own`),
  new for almost every contract. Before its first POST we write a link for its code whose remote
  id says "pending" (the intent); after an unknown outcome (a timeout, a 5xx, a worker that died)
  the link is there, so the next attempt looks the code up (exact match) before creating it. A
  car whose code Go already has from elsewhere (a product made by hand, or before we kept these
  links) is refused by Go as a duplicate code: we then look it up, correct it and link it. Once
  linked, it is never posted again: it is used from memory while that agrees, else looked up.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

from integrations.errors import PermanentError
from integrations.links import LinkConflict, find_link, store_link
from integrations.providers.poweroffice_go import mappers

logger = logging.getLogger("integrations.poweroffice_go")

KEY = "poweroffice_go"
RECORD_TYPE = "product"
# A product link's remote id before Go has answered the POST: the intent to create it.
PENDING = "pending:"


def link_local_id(code):
    """The local id of a product's link: its code (a digest when longer than a link's id)."""
    if len(code) <= 64:
        return code
    return "sha256:" + hashlib.sha256(code.encode()).hexdigest()[:57]


def _memory_key(connection, code):
    """Per connection and code. The connection's `connected_at` is part of it: what was read from
    one Go client is not trusted after a reconnect (perhaps to another client)."""
    connected = connection.connected_at.timestamp() if connection.connected_at else ""
    digest = hashlib.sha256(code.encode()).hexdigest()[:32]  # codes may hold spaces
    return f"{KEY}:product:{connection.pk}:{connected}:{digest}"


def _agrees(row, spec):
    return (isinstance(row, dict) and row.get("Code") == spec.code
            and row.get("StandardSalesAccount") == spec.account and row.get("Name") == spec.name)


def find_by_codes(client, codes):
    """{code: row} of Go's products with exactly these codes, in one request (`codes` takes a
    comma-separated list; a code holding a comma is asked for alone)."""
    codes = list(dict.fromkeys(codes))
    if any("," in code for code in codes):
        rows = [row for code in codes for row in client.list("/Products", {"codes": code})]
    else:
        rows = client.list("/Products", {"codes": ",".join(codes)})
    found = {}
    for row in rows:  # compare exactly: the filter ignores case
        if row.get("Code") in codes:
            found.setdefault(row["Code"], row)
    return found


def _corrected(client, row, spec):
    """The id of a found product, patched first when its account or name differ."""
    ops = mappers.product_account_patch(row, spec)
    if ops:
        client.patch(f"/Products/{row['Id']}", ops)
    return row["Id"]


def _create(client, spec):
    return client.post_json("/Products", spec.payload()).json()["Id"]


def _create_first_time(client, spec):
    """POST a product no attempt of ours created before. Go refuses a code it already has (a
    product made by hand, or before we kept links): then that product is looked up and used."""
    try:
        return _create(client, spec)
    except PermanentError as exc:
        if exc.status_code != 400:
            raise
        row = find_by_codes(client, [spec.code]).get(spec.code)
        if row is None:
            raise
        return _corrected(client, row, spec)


def ensure_products(client, specs):
    """({key: product id}, [memory keys used]) for {key: ProductSpec}: each remembered, found,
    corrected or created so that its sales account is the mapped one. Pass the memory keys to
    `forget` when the order that used them fails."""
    connection = client.connection
    seconds = settings.POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS
    keys = {key: _memory_key(connection, spec.code) for key, spec in specs.items()}
    remembered = cache.get_many(list(keys.values())) if seconds > 0 else {}
    ids, used = {}, []
    for key, spec in specs.items():
        row = remembered.get(keys[key])
        if _agrees(row, spec):
            ids[key] = row["Id"]
            used.append(keys[key])

    links, first_time = {}, {}
    for key, spec in specs.items():
        if key not in ids and spec.own:
            links[key] = find_link(connection, RECORD_TYPE, link_local_id(spec.code))
            if links[key] is None:
                first_time[key] = spec
    lookup = {key: spec for key, spec in specs.items() if key not in ids and key not in first_time}
    if lookup:
        found = find_by_codes(client, [spec.code for spec in lookup.values()])
        for key, spec in lookup.items():
            row = found.get(spec.code)
            # A linked product that is gone from Go is created again; its link is the intent.
            ids[key] = _corrected(client, row, spec) if row is not None else _create(client, spec)
    for key, spec in first_time.items():
        _link(connection, spec, PENDING + link_local_id(spec.code), pending=True)
        ids[key] = _create_first_time(client, spec)

    fresh = [key for key in specs if keys[key] not in used]
    for key in fresh:
        spec = specs[key]
        link = links.get(key)
        if spec.own and (link is None or link.remote_id != str(ids[key])):
            _link(connection, spec, ids[key])
    if seconds > 0 and fresh:
        cache.set_many({keys[key]: {"Id": ids[key], "Code": specs[key].code,
                                    "StandardSalesAccount": specs[key].account,
                                    "Name": specs[key].name} for key in fresh}, seconds)
    return ids, used


def _link(connection, spec, remote_id, *, pending=False):
    try:
        store_link(connection, RECORD_TYPE, link_local_id(spec.code), remote_id,
                   remote_number=spec.code[:64], data={"code": spec.code, "pending": pending})
    except LinkConflict:
        # The product is linked under another code (renamed in Go since). The order can still
        # use it; this code keeps no link, so the next order for it looks it up again.
        if pending:
            raise
        logger.warning("product %s of connection %s is linked under another code", remote_id,
                       connection.pk)


def forget(memory_keys):
    """The products an order took from memory are read again next time."""
    if memory_keys:
        cache.delete_many(list(memory_keys))
