"""References inside request bodies. Tripletex's rule (fact sheet, gotcha 4): an existing object
is referred to by `{"id": n}` alone (other properties next to the id are ignored); a nested
object without an id is a new one, which only some places create (an order's lines, a customer's
addresses, an invoice's order). Anything else that is referred to must exist in the company;
objects this sandbox does not keep (departments, projects, contacts...) never do, so a reference
to one is refused like a reference to a missing object."""

from sandbox.tripletex import errors, store
from sandbox.tripletex.schema import MODELS

# Kinds that may be referred to by id in a body.
KEPT = {"Customer", "Product", "Order", "OrderLine", "Invoice", "VatType", "Account",
        "PaymentType", "Currency", "Employee", "Address", "DeliveryAddress", "Voucher"}


def target(kind, name):
    spec = MODELS[kind][name].lstrip("!")
    if spec.startswith("[@"):
        return spec[2:-1], True
    if spec.startswith("@"):
        return spec[1:], False
    return None, False


def existing(request, field, value, kind):
    """The stored reference for `{"id": n}` of `kind`, or 422 naming `field`."""
    object_id = store.ref_id(value)
    if not isinstance(object_id, int) or isinstance(object_id, bool):
        errors.invalid(request, (field, "Må referere til et eksisterende objekt med id."))
    if kind not in KEPT or store.find(request.sandbox_tenant, kind, object_id) is None:
        errors.unknown_reference(request, field)
    return {"id": object_id}


def resolve(request, kind, body, *, handled=()):
    """`body` with every reference checked and stored as `{"id": n}`; fields in `handled` are
    left for the caller (the ones that may create nested objects)."""
    out = {}
    for name, value in body.items():
        ref_kind, many = target(kind, name)
        if ref_kind is None or name in handled or value is None:
            out[name] = value
        elif many:
            out[name] = [existing(request, f"{name}[{index}]", item, ref_kind)
                         for index, item in enumerate(value)]
        else:
            out[name] = existing(request, name, value, ref_kind)
    return out


def create_nested(request, kind, field, value):
    """A reference to an existing `kind`, or a new one made from the nested object."""
    if value is None:
        return None
    if store.ref_id(value) is not None:
        return existing(request, field, value, kind)
    data = resolve(request, kind, value)
    return store.ref(store.create(request.sandbox_tenant, kind, data))
