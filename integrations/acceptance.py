"""What every provider's acceptance run (`Provider.acceptance()`, `make demo`) shares: this app,
with the sandbox mounted, served on a free port in this process."""

import threading

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application


class AcceptanceFailed(Exception):
    """The run could not start (no demo data, no sandbox): the message says what to do."""


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve():
    """(server, base URL) of this app on 127.0.0.1; `server.shutdown()` stops it."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
