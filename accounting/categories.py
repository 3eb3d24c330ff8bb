"""Line categories as people call them. Invoice and quote line categories are free text
(`DocumentLine.category`, default "service"); the usual ones have names in every language, and
an unknown one reads as itself. The dealer's contract line categories are choices of their own
(`contracts.models.LineCategory`)."""

from django.utils.translation import gettext_lazy as _

DOCUMENT_CATEGORY_LABELS = {
    "service": _("Service"),
    "material": _("Material"),
    "labor": _("Labour"),
    "fee": _("Fee"),
    "travel": _("Travel"),
    "equipment": _("Equipment rental"),
}


def document_category_label(key) -> str:
    if key in DOCUMENT_CATEGORY_LABELS:
        return str(DOCUMENT_CATEGORY_LABELS[key])
    return (key or "").replace("_", " ").capitalize()
