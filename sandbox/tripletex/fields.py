"""What goes in and out: the `fields` filter, the `{value}` / `{values}` wrappers with paging,
`sorting`, and strict reading of request bodies against the spec's models (schema.py).

`fields` (spec introduction, "Fields"): a comma-separated list, `*` for every field of the
object, `name(sub,fields)` to expand a nested object. Without expansion a nested object is
`{"id", "url"}`; the default is `*`. A name the model does not have is a 400 11000.
"""

import hashlib
import json
import math

from django.http import JsonResponse

from sandbox.tripletex import errors, store
from sandbox.tripletex.schema import ENUMS, MODELS

ALL = {"*": None}
_JSON_TYPES = {"str": str, "int": int, "num": (int, float), "bool": bool, "obj": dict}


# -- the fields filter ----------------------------------------------------------------------------

def parse(request, text, kind):
    """`"*,orderLines(*),customer(name)"` -> {"*": None, "orderLines": {"*": None}, ...},
    checked against the model of `kind`."""
    if text is None or not text.strip():
        return dict(ALL)
    selection, rest = _parse_list(request, text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        errors.fail(request, 400, errors.ILLEGAL_FILTER, f"Illegal fields filter: {text}")
    _check(request, selection, kind)
    return selection


def _parse_list(request, text, at):
    selection = {}
    while at < len(text):
        end = at
        while end < len(text) and text[end] not in ",()":
            end += 1
        name = text[at:end]
        if not name:
            errors.fail(request, 400, errors.ILLEGAL_FILTER, f"Illegal fields filter: {text}")
        sub = None
        if end < len(text) and text[end] == "(":
            sub, end = _parse_list(request, text, end + 1)
            if end >= len(text) or text[end] != ")":
                errors.fail(request, 400, errors.ILLEGAL_FILTER,
                            f"Illegal fields filter: {text}")
            end += 1
        selection[name] = sub if sub is not None else selection.get(name)
        if end < len(text) and text[end] == ")":
            return selection, end
        at = end + 1 if end < len(text) and text[end] == "," else end
    return selection, at


def _target(kind_spec):
    spec = kind_spec.lstrip("!")
    if spec.startswith("[@"):
        return spec[2:-1]
    if spec.startswith("@"):
        return spec[1:]
    return None


def _check(request, selection, kind):
    model = MODELS.get(kind)
    if model is None:
        return  # a kind this sandbox does not keep: nothing to check against
    for name, sub in selection.items():
        if name == "*":
            continue
        if name not in model:
            errors.illegal_field(request, name, kind)
        if sub:
            _check(request, sub, _target(model[name]) or "")


# -- rendering ------------------------------------------------------------------------------------

class Renderer:
    """Renders stored objects of one company; `base` is the `url` prefix ("host/.../v2")."""

    def __init__(self, tenant, base):
        self.tenant, self.base = tenant, base
        self._cache = {}

    @classmethod
    def for_request(cls, request):
        return cls(request.sandbox_tenant, api_base(request))

    def url(self, kind, object_id):
        return f"{self.base}/{store.PATHS.get(kind, kind.lower())}/{object_id}"

    def _load(self, kind, object_id):
        key = (kind, str(object_id))
        if key not in self._cache:
            record = store.find(self.tenant, kind, object_id)
            self._cache[key] = record.data if record else None
        return self._cache[key]

    def render(self, kind, data, selection=None):
        selection = ALL if selection is None else selection
        model = MODELS.get(kind, {})
        names = [name for name in model if "*" in selection or name in selection]
        out = {}
        for name in names:
            if name == "url":
                if data.get("id") is not None and kind in store.PATHS:
                    out["url"] = self.url(kind, data["id"])
                continue
            value = data.get(name)
            if value is None:
                continue
            target = _target(model[name])
            if target is None:
                out[name] = value
            elif isinstance(value, list):
                out[name] = [self._nested(target, item, selection.get(name)) for item in value]
            else:
                out[name] = self._nested(target, value, selection.get(name))
        return out

    def _nested(self, kind, value, sub):
        object_id = store.ref_id(value)
        if object_id is None:  # an embedded object without an id of its own
            return self.render(kind, value, sub) if isinstance(value, dict) else value
        if not sub:
            return {"id": object_id, "url": self.url(kind, object_id)}
        data = self._load(kind, object_id) or {"id": object_id}
        return self.render(kind, data, sub)


def api_base(request):
    """"host/sandbox/tripletex/v2", as Tripletex's `url` fields are ("tripletex.no/v2/...")."""
    marker = f"/{store.SLUG}/"
    index = request.path.find(marker)
    prefix = request.path[:index + len(marker)] if index >= 0 else "/"
    return f"{request.get_host()}{prefix}v2"


def value_response(request, kind, data, status=200):
    """`{"value": ...}` with the request's `fields`."""
    selection = parse(request, request.GET.get("fields"), kind)
    body = {"value": Renderer.for_request(request).render(kind, data, selection)}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _int_param(request, name, default):
    text = request.GET.get(name)
    if text in (None, ""):
        return default
    try:
        number = int(text)
    except ValueError:
        errors.fail(request, 422, errors.PARAM, f"Ugyldig verdi for {name}: {text!r}.")
    if number < 0:
        errors.fail(request, 422, errors.PARAM, f"{name} kan ikke være negativ.")
    return number


def _sort_key(field):
    def key(data):
        value = data
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return (value is None, value if not isinstance(value, dict) else value.get("id"))
    return key


def sort(request, kind, rows):
    """`sorting=a,-b`: top-level fields of the model (`id` is the default order)."""
    text = request.GET.get("sorting", "")
    for part in reversed([p.strip() for p in text.split(",") if p.strip()]):
        field = part.lstrip("-")
        if field.split(".")[0] not in MODELS[kind]:
            errors.fail(request, 422, errors.SORTING, f"Ugyldig sortering: {part}.")
        try:
            rows = sorted(rows, key=_sort_key(field), reverse=part.startswith("-"))
        except TypeError:
            errors.fail(request, 422, errors.SORTING, f"Ugyldig sortering: {part}.")
    return rows


def list_response(request, kind, rows):
    """`{fullResultSize, from, count, versionDigest, values}` for the stored objects `rows`
    (already filtered), paged by `from` and `count` (default 1000)."""
    selection = parse(request, request.GET.get("fields"), kind)
    start = _int_param(request, "from", 0)
    count = _int_param(request, "count", 1000)
    rows = sort(request, kind, rows)
    renderer = Renderer.for_request(request)
    page = [renderer.render(kind, data, selection) for data in rows[start:start + count]]
    body = {"fullResultSize": len(rows), "from": start, "count": len(page), "values": page}
    if rows:
        digest = json.dumps([[d.get("id"), d.get("version")] for d in rows]).encode()
        body["versionDigest"] = hashlib.sha256(digest).hexdigest()[:32]
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def ids_param(request, name):
    """A comma-separated list of ids (`id=1,2`), or None when absent."""
    text = request.GET.get(name)
    if text in (None, ""):
        return None
    try:
        return {int(part) for part in text.split(",") if part.strip()}
    except ValueError:
        errors.fail(request, 422, errors.PARAM, f"Ugyldig liste av id-er i {name}: {text!r}.")


def bool_param(request, name):
    text = request.GET.get(name)
    if text in (None, ""):
        return None
    if text.lower() not in ("true", "false"):
        errors.fail(request, 422, errors.PARAM, f"Ugyldig verdi for {name}: {text!r}.")
    return text.lower() == "true"


# -- request bodies -------------------------------------------------------------------------------

def read_json(request):
    """The body as JSON (422 22000 if it is not)."""
    try:
        return json.loads(request.body or b"")
    except (UnicodeDecodeError, ValueError) as exc:
        errors.bad_json(request, f"Invalid JSON: {exc}")


def read_object(request, kind):
    """The body: one `kind` object, checked by `check`."""
    data = read_json(request)
    if not isinstance(data, dict):
        errors.bad_json(request, f"Expected a JSON object ({kind}).")
    return check(request, kind, data)


def check(request, kind, data, path=""):
    """`data` without its read-only properties; 422 16000 for a property the model lacks or
    a value of the wrong JSON type (nested new objects are checked too)."""
    model, problems, clean = MODELS[kind], [], {}
    for name, value in data.items():
        where = f"{path}{name}"
        spec = model.get(name)
        if spec is None:
            problems.append((where, f"Feltet '{name}' finnes ikke i {kind}."))
            continue
        if spec.startswith("!"):
            continue
        problem = _type_problem(kind, name, spec, value)
        if problem:
            problems.append((where, problem))
            continue
        target = _target(spec)
        if target in MODELS and value is not None:
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if store.ref_id(item) is None:
                    sub = f"{where}[{index}]." if isinstance(value, list) else f"{where}."
                    try:
                        check(request, target, item, sub)
                    except _Problems as nested:
                        problems += nested.problems
        clean[name] = value
    if problems:
        if path:
            raise _Problems(problems)
        errors.mapping(request, problems)
    return clean


class _Problems(Exception):
    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def _type_problem(kind, name, spec, value):
    if value is None:
        return None
    if spec == "enum":
        allowed = ENUMS[(kind, name)]
        return None if value in allowed else f"Må være en av {', '.join(allowed)}."
    if spec.startswith("[") and not isinstance(value, list):
        return "Må være en liste."
    if spec.startswith("[@") or spec.startswith("@"):
        items = value if isinstance(value, list) else [value]
        return None if all(isinstance(i, dict) for i in items) else "Må være et objekt."
    if spec.startswith("["):
        wanted = _JSON_TYPES[spec[1:-1]]
        return None if all(_is(i, wanted) for i in value) else f"Feil type i listen ({spec})."
    return None if _is(value, _JSON_TYPES[spec]) else f"Feil type: forventet {spec}."


MAX_NUMBER = 10**13  # larger amounts are no car dealer's; keeps Decimal arithmetic exact


def _is(value, wanted):
    if isinstance(value, bool):
        return wanted is bool
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
            return False
    return isinstance(value, wanted)
