"""Request bodies as Visma eAccounting checks them: the fields of each spec definition
(fields.py, one line per property: `Name type [maxLength] [enum=a,b] [ro] [required]`), turned
into a JSON Schema and checked with `jsonschema`; every problem becomes one `Errors[]` entry
(`Field` = `Rows[0].Quantity`) of a 400 with ErrorCode 2000.

What a body may carry: every property of the definition. Read-only ones (`Id`, `ChangedUtc`,
totals...) are accepted and ignored, so a client can PUT back what it GOT. ASSUMED: a name the
definition does not have is refused (the real API, ASP.NET, may drop it silently; refusing
catches a misspelt field in our tests instead). Optional properties may be null.
"""

import functools

import jsonschema

from sandbox.visma_eaccounting import errors

GUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_SCALARS = {
    "string": {"type": "string"},
    "guid": {"type": "string", "pattern": GUID_PATTERN},
    "datetime": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "object": {"type": "object"},
}
_REGISTRY = {}


class Field:
    def __init__(self, name, kind, *, max_length=None, enum=None, read_only=False,
                 required=False):
        self.name, self.kind, self.max_length, self.enum = name, kind, max_length, enum
        self.read_only, self.required = read_only, required

    def schema(self):
        if self.kind.startswith("["):
            items = self.kind[1:-1]
            item_schema = (_REGISTRY[items].schema() if items in _REGISTRY
                           else dict(_SCALARS[items]))
            schema = {"type": "array", "items": item_schema}
        elif self.kind in _REGISTRY:
            schema = _REGISTRY[self.kind].schema()
        else:
            schema = dict(_SCALARS[self.kind])
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if not self.required:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema


class Shape:
    """The properties of one spec definition."""

    def __init__(self, definition, fields):
        self.definition = definition
        self.fields = {field.name: field for field in fields}

    def __repr__(self):
        return f"<Shape {self.definition}>"

    @property
    def names(self):
        return frozenset(self.fields)

    @property
    def required(self):
        return frozenset(name for name, field in self.fields.items() if field.required)

    @property
    def read_only(self):
        return frozenset(name for name, field in self.fields.items() if field.read_only)

    def schema(self):
        return {"type": "object", "additionalProperties": False,
                "required": sorted(self.required),
                "properties": {name: field.schema() for name, field in self.fields.items()}}

    @functools.cached_property
    def validator(self):
        return jsonschema.Draft7Validator(self.schema())

    def check(self, data):
        """`data` if it fits the definition, else Visma's 400 with every problem."""
        problems = sorted(_flatten(self.validator.iter_errors(data)),
                          key=lambda e: [str(part) for part in e.absolute_path])
        if problems:
            errors.invalid(*[(_field(problem), _message(problem)) for problem in problems])
        return data

    def writable(self, data):
        """`data` without the read-only properties (what a create or update takes)."""
        return {name: value for name, value in data.items() if name not in self.read_only}


def _flatten(problems):
    """An optional value's errors are those of its own type (the first alternative of its
    `anyOf` with null), so nested problems keep their own path."""
    for problem in problems:
        inner = [error for error in problem.context or ()
                 if error.relative_schema_path and error.relative_schema_path[0] == 0]
        if problem.validator == "anyOf" and inner and any(
                error.validator != "type" or error.absolute_path != problem.absolute_path
                for error in inner):
            yield from _flatten(inner)
        else:
            yield problem


def _field(problem):
    path = ""
    for part in problem.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if problem.validator == "required":
        missing = problem.message.split("'")[1]
        return f"{path}.{missing}" if path else missing
    if problem.validator == "additionalProperties":
        extra = problem.message.split("'")[1]
        return f"{path}.{extra}" if path else extra
    return path or "body"


def _message(problem):
    if problem.validator == "required":
        return "The field is required."
    if problem.validator == "additionalProperties":
        return "Unknown field."
    inner = problem
    if problem.validator == "anyOf" and problem.context:
        inner = problem.context[0]  # the first alternative is the value's own type
    if inner.validator == "maxLength":
        return f"The field may hold at most {inner.validator_value} characters."
    if inner.validator == "pattern" and inner.validator_value == GUID_PATTERN:
        return "The value is not a valid GUID."
    if inner.validator == "pattern":
        return "The value is not a valid date (YYYY-MM-DD)."
    if inner.validator == "enum":
        return f"The value must be one of {inner.validator_value}."
    if inner.validator == "type":
        return f"The value {problem.instance!r} is not a {inner.validator_value}."
    return inner.message


def shape(definition, text, name=None):
    """A Shape from fields.py's lines; `name` registers it for `[NAME]` / `NAME` references."""
    fields = []
    for line in text.strip().splitlines():
        words = line.split()
        options = {"read_only": "ro" in words, "required": "required" in words}
        for word in words[2:]:
            if word.isdigit():
                options["max_length"] = int(word)
            elif word.startswith("enum="):
                options["enum"] = tuple(int(value) for value in word[5:].split(","))
        fields.append(Field(words[0], words[1], **options))
    built = Shape(definition, fields)
    if name:
        _REGISTRY[name] = built
    return built
