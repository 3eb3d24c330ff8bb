"""Log hygiene: secrets never reach a log line, whoever formats it."""

import logging
import re

# Values that look like credentials in "key=value", JSON or header form.
_SECRET_NAMES = (
    r"access_token|refresh_token|client_secret|client_key|clientkey|password|secret|"
    r"authorization|api[_-]?key|subscription[_-]?key|ocp-apim-subscription-key|token"
)
_PAIR = re.compile(
    rf"""(?ix)
    (["']?(?:{_SECRET_NAMES})["']?\s*[:=]\s*)   # the name and its separator
    (?:"[^"]*"|'[^']*'|(?:Bearer|Basic)\s+\S+|[^\s,&;}}]+)  # the value
    """
)
_BEARER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact(text: str) -> str:
    text = _PAIR.sub(lambda m: f"{m.group(1)}[redacted]", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
