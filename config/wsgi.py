import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.handlers import with_lean_paths  # noqa: E402  (after Django is set up)

# Webhooks skip the staff pages' middleware (config/handlers.py).
application = with_lean_paths(django_application)
