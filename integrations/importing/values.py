"""Values as providers send them: amounts as numbers or text ("1 234,50"), dates as ISO
strings, empty strings or null. Shared by importers and the providers' mappers."""

from datetime import date
from decimal import Decimal, InvalidOperation


def decimal(value, default="0"):
    if value in (None, ""):
        value = default
    try:
        return Decimal(str(value).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return Decimal(default)


def parse_date(value):
    """The date of an ISO date or date-time; None for empty or unreadable."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
