"""The access logs (runserver's `django.server`, gunicorn's `gunicorn.access`) without secrets.

A request line carries its query string, and some of ours carry credentials by design: the OAuth
callback's `code` and `state`, an onboarding flow's `token`. `RedactQueryParams` replaces
the values of those parameters (and of any other credential-like name) with `[redacted]` in the
message and in every string argument of the record (gunicorn passes its atoms as a dict: the
request line, the query, the referer), before any handler formats it. `integrations.logging`'s
filter handles the rest (tokens in `key=value`, JSON and headers).
"""

import logging
import re

# Query parameters whose value is a credential or a single-use grant.
SECRET_PARAMS = ("code", "token", "state", "access_token", "refresh_token", "id_token",
                 "client_secret", "client_key", "password", "secret", "api_key", "key",
                 "signature", "session_state")
_PARAM = re.compile(r"(?i)(?<=[?&;])(" + "|".join(SECRET_PARAMS) + r")=([^&#\s\"']*)")
# The same inside an encoded URL (a referer or `next=` parameter): %3F / %26 before the name.
_ENCODED = re.compile(r"(?i)(%3F|%26)(" + "|".join(SECRET_PARAMS) + r")(%3D)([^&#\s\"'%]*"
                      r"(?:%(?!26|23)[0-9A-F]{2}[^&#\s\"'%]*)*)")


def redact_query(text: str) -> str:
    if "=" not in text and "%3D" not in text.upper():
        return text
    text = _PARAM.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    return _ENCODED.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}[redacted]", text)


def _clean(value):
    return redact_query(value) if isinstance(value, str) else value


class RedactQueryParams(logging.Filter):
    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        # runserver's record also carries the request itself (for its own formatter's use).
        return True
