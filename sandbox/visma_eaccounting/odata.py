"""The `$filter` language of Visma eAccounting's lists: OData v4 as the docs describe it
[visma-eaccounting.md 5, DOC-FLT], the part a client uses.

    CustomerNumber eq '1001' and IsActive eq true
    ChangedUtc gt 2026-12-01T18:10:27.123Z          (date-times unquoted, as the docs show)
    ChangedUtc gt datetime'2026-12-01T18:10:27Z'   (the OData v3 form, also accepted)
    CustomerId eq 5e0c3f1a-7b2d-4c59-9a61-0f3b8d2e7a41   (also guid'...' or '...')
    startswith(Name,'Frost') or contains(EmailAddress,'@frost.se')
    not (PaymentStatus eq 0)   year(InvoiceDate) eq 2026   length(Name) gt 3

Operators `eq ne gt ge lt le`, `and or not`, parentheses; functions `startswith endswith
contains` (true/false) and `tolower toupper length year month day hour` (values). Only the
properties a list declares filterable may be named, with the literal of their type: anything
else answers 400 ErrorCode 6000 (QueryParameterError), a malformed date 6001 (InvalidInput).
ASSUMED: text compares case-insensitively (the API sits on SQL Server's default collation), so
`CustomerNumber eq 'h12'` also finds `H12`; a client must still compare what it gets exactly.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal

from sandbox.visma_eaccounting import errors

STRING, NUMBER, BOOLEAN, DATETIME, GUID = "string", "number", "boolean", "datetime", "guid"
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
BOOLEAN_FUNCTIONS = {"startswith", "endswith", "contains"}
VALUE_FUNCTIONS = {"tolower": STRING, "toupper": STRING, "length": NUMBER, "year": NUMBER,
                   "month": NUMBER, "day": NUMBER, "hour": NUMBER}

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<typed>(?:datetime|datetimeoffset|guid)'[^']*')
    | (?P<string>'(?:[^']|'')*')
    | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
    | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_/]*)
    | (?P<punct>[(),])
    )""", re.VERBOSE)


def parse_datetime(text):
    """An aware UTC datetime from an ISO date or date-time (no zone means UTC), else 6001."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        errors.invalid_input(f"'{text}' is not a valid date-time (e.g. "
                             f"2026-12-01T18:10:27.123Z).")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _tokens(text):
    position, found = 0, []
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            errors.query_error(f"The $filter cannot be read at '{text[position:].strip()}'.")
        kind = match.lastgroup
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text, properties):
        self.tokens = _tokens(text)
        self.index = 0
        self.properties = properties

    def peek(self, offset=0):
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.index += 1
        return token

    def expect(self, value):
        kind, text = self.take()
        if text != value:
            errors.query_error(f"Expected '{value}' in the $filter, found '{text or 'the end'}'.")

    def word(self, *choices):
        kind, text = self.peek()
        return kind == "name" and text.lower() in choices

    def parse(self):
        if not self.tokens:
            errors.query_error("The $filter is empty.")
        predicate = self.disjunction()
        if self.peek()[0] is not None:
            errors.query_error(f"Unexpected '{self.peek()[1]}' in the $filter.")
        return predicate

    def disjunction(self):
        parts = [self.conjunction()]
        while self.word("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda item: any(p(item) for p in parts))

    def conjunction(self):
        parts = [self.negation()]
        while self.word("and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda item: all(p(item) for p in parts))

    def negation(self):
        if self.word("not"):
            self.take()
            inner = self.negation()
            return lambda item: not inner(item)
        if self.peek()[1] == "(":
            self.take()
            inner = self.disjunction()
            self.expect(")")
            return inner
        if self.word(*BOOLEAN_FUNCTIONS) and self.peek(1)[1] == "(":
            return self.boolean_function()
        return self.comparison()

    def boolean_function(self):
        name = self.take()[1].lower()
        self.expect("(")
        subject, kind = self.operand()
        self.expect(",")
        needle, needle_kind = self.operand()
        self.expect(")")
        if kind != STRING or needle_kind != STRING:
            errors.query_error(f"{name}() compares text.")

        def test(item):
            haystack, wanted = subject(item), needle(item)
            if haystack is None or wanted is None:
                return False
            haystack, wanted = haystack.casefold(), wanted.casefold()
            return {"startswith": haystack.startswith, "endswith": haystack.endswith,
                    "contains": haystack.__contains__}[name](wanted)

        return test

    def comparison(self):
        left, left_kind = self.operand()
        kind, op = self.take()
        if kind != "name" or op.lower() not in COMPARISONS:
            errors.query_error(f"Expected a comparison (eq, ne, gt, ge, lt, le), found "
                               f"'{op or 'the end'}'.")
        op = op.lower()
        right, right_kind = self.operand()
        if {left_kind, right_kind} == {STRING, GUID}:
            pass  # an id in quotes compares as the id
        elif None not in (left_kind, right_kind) and left_kind != right_kind:
            errors.query_error(f"Cannot compare a {left_kind} with a {right_kind} ({op}).")
        if BOOLEAN in (left_kind, right_kind) and op not in ("eq", "ne"):
            errors.query_error(f"Booleans cannot be compared with {op}.")
        return lambda item: _compare(left(item), op, right(item))

    def operand(self):
        """(value(item) -> comparable, type or None for null)."""
        kind, text = self.take()
        if kind == "string":
            value = text[1:-1].replace("''", "'").casefold()
            return (lambda item: value), STRING
        if kind == "guid":
            value = text.lower()
            return (lambda item: value), GUID
        if kind == "typed":
            prefix, _, rest = text.partition("'")
            if prefix == "guid":
                value = rest[:-1].lower()
                return (lambda item: value), GUID
            moment = parse_datetime(rest[:-1])
            return (lambda item: moment), DATETIME
        if kind == "datetime":
            moment = parse_datetime(text)
            return (lambda item: moment), DATETIME
        if kind == "number":
            value = Decimal(text)
            return (lambda item: value), NUMBER
        if kind == "name" and text.lower() in ("true", "false"):
            value = text.lower() == "true"
            return (lambda item: value), BOOLEAN
        if kind == "name" and text.lower() == "null":
            return (lambda item: None), None
        if kind == "name" and text.lower() in VALUE_FUNCTIONS and self.peek()[1] == "(":
            return self.value_function(text.lower())
        if kind == "name":
            return self.property(text)
        errors.query_error(f"Expected a property or a value, found '{text or 'the end'}'.")

    def property(self, name):
        kind = self.properties.get(name)
        if kind is None:
            errors.query_error(f"The property '{name}' cannot be used in $filter here.")
        return (lambda item: _typed(item.get(name), kind)), kind

    def value_function(self, name):
        self.expect("(")
        inner, kind = self.operand()
        self.expect(")")
        wanted = DATETIME if name in ("year", "month", "day", "hour") else STRING
        if kind != wanted:
            errors.query_error(f"{name}() takes a {wanted}.")

        def value(item):
            found = inner(item)
            if found is None:
                return None
            if name == "length":
                return Decimal(len(found))
            if name in ("tolower", "toupper"):
                return found  # text already compares case-insensitively
            return Decimal(getattr(found, name))

        return value, VALUE_FUNCTIONS[name]


def _typed(value, kind):
    if value is None:
        return None
    if kind == STRING:
        return str(value).casefold()
    if kind == GUID:
        return str(value).lower()
    if kind == DATETIME:
        return parse_datetime(str(value))
    if kind == NUMBER:
        return Decimal(str(value))
    return bool(value)


def _compare(left, op, right):
    if left is None or right is None:
        return (left is None and right is None) == (op == "eq") if op in ("eq", "ne") else False
    return {"eq": left == right, "ne": left != right, "gt": left > right, "ge": left >= right,
            "lt": left < right, "le": left <= right}[op]


def parse(text, properties):
    """A predicate over an entity's JSON for `text`; `properties` maps each filterable name to
    its type (STRING, NUMBER, BOOLEAN, DATETIME, GUID)."""
    return _Parser(text, dict(properties)).parse()


def sort_key(value):
    """Orders None first, then numbers, then text, whatever the mix."""
    if value is None:
        return (0, 0, "")
    if isinstance(value, bool | int | float):
        return (1, float(value), "")
    return (2, 0, str(value).casefold())
