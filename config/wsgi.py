import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.handlers import with_webhooks  # noqa: E402  (after Django is set up)

# Webhooks are answered before Django's request handling (config/handlers.py).
application = with_webhooks(django_application)
