"""Rendering the simulator's own HTML pages (onboarding approval, the stand-in for Go's screens)
from templates kept in this package, on the project's template engine so that they extend the
sandbox's shared "sandbox/base.html"."""

from pathlib import Path

from django.http import HttpResponse
from django.template import engines

TEMPLATES = Path(__file__).parent / "templates"


def render(request, name, context, status=200):
    template = engines["django"].from_string((TEMPLATES / name).read_text(encoding="utf-8"))
    return HttpResponse(template.render(context, request), status=status)
