"""DRF plumbing shared by the API views: errors as JSON that say what to fix."""

import io
import re
from itertools import accumulate

from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser

from integrations.errors import ActionBlocked, ProviderError


def exception_handler(exc, context):
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (this module) on import.
    from rest_framework.response import Response
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ActionBlocked):
        return Response({"error": "blocked", "problems": [p.as_dict() for p in exc.problems]},
                        status=422)
    if isinstance(exc, ProviderError):
        return Response({"error": type(exc).__name__, "message": exc.message}, status=502)
    return drf_exception_handler(exc, context)


# Limits checked before a JSON body is parsed (API and webhooks): no request of ours needs more.
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
_JSON_ESCAPE = re.compile(rb"\\.", re.S)
_JSON_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects deeper than `limit`, found without parsing
    (brackets inside strings do not count), so a deep body never reaches the recursive parser.
    Linear in the body's length whatever it holds: escapes go first (a backslash and the
    character after it), then strings, which then hold no escaped quote."""
    text = _JSON_STRING.sub(b"", _JSON_ESCAPE.sub(b"", raw))
    brackets = text.translate(None, _NOT_BRACKET)
    if len(brackets) <= limit:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > limit


def holds_unstorable_text(payload) -> bool:
    """Whether a string in the parsed payload holds NUL or a lone surrogate, which no database
    query could take (PostgreSQL refuses both in text). Walked without recursion."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class BodyTooLarge(APIException):
    status_code = 413
    default_detail = f"The body is larger than {MAX_JSON_BYTES} bytes."
    default_code = "too_large"


class JSONParser(BaseJSONParser):
    """DRF's JSON parser behind limits that hold before parsing: at most `MAX_JSON_BYTES`
    (413), nested at most `MAX_JSON_DEPTH` deep, and no string holding NUL or an unpaired
    surrogate (400 saying which), so no body can reach a RecursionError or the database's
    refusal (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_JSON_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_JSON_BYTES:
            raise BodyTooLarge()
        if json_too_deep(raw):
            raise ParseError(f"JSON parse error - the body is nested too deeply (more than "
                             f"{MAX_JSON_DEPTH} levels).")
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        if holds_unstorable_text(data):
            raise ParseError("JSON parse error - a string holds a NUL character or an unpaired "
                             "surrogate (\\u0000, \\ud800-\\udfff).")
        return data
