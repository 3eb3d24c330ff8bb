"""DRF plumbing shared by the API views: errors as JSON that say what to fix."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser
from rest_framework.views import exception_handler as drf_exception_handler

from integrations.errors import ActionBlocked, ProviderError


def exception_handler(exc, context):
    from rest_framework.response import Response

    if isinstance(exc, ActionBlocked):
        return Response({"error": "blocked", "problems": [p.as_dict() for p in exc.problems]},
                        status=422)
    if isinstance(exc, ProviderError):
        return Response({"error": type(exc).__name__, "message": exc.message}, status=502)
    return drf_exception_handler(exc, context)


class JSONParser(BaseJSONParser):
    """DRF's JSON parser, with a body nested too deeply for Python's parser answered 400 like
    any other malformed body, instead of a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
