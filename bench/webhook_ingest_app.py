"""The WSGI app `bench/webhook_ingest.py` serves with gunicorn: the product's application
(config/wsgi.py: webhooks answered before Django's request handling, everything else through
the full middleware of the staff pages) plus one bare view, `GET /bench/ok`, that answers "ok"
through that full middleware, as any page of ours would, so the two are measured on the same
server. The product's
own URLs stay untouched (the extra route exists only here)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

from config.urls import urlpatterns as product_urlpatterns  # noqa: E402


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok", ok), *product_urlpatterns]
settings.ROOT_URLCONF = __name__

from config.wsgi import application  # noqa: E402,F401  (served by gunicorn)
