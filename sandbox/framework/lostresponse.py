"""Losing a response after the work is done: the write is committed, the client learns nothing.

This is the hardest case for a client (did my order get created?), and the one the hub must
answer by searching before re-posting. Three ways to lose a response, checked against
`requests` talking to Django's development server (runserver and pytest's live server):

- TIMEOUT: the view sleeps, then answers. A client with a shorter timeout raises
  `requests.ReadTimeout`.
- RESET: the server hangs up before sending a byte. `requests.ConnectionError`
  ("Remote end closed connection without response").
- TRUNCATE: the status line, headers and part of the body arrive, then the server hangs up.
  `requests.exceptions.ChunkedEncodingError` ("IncompleteRead"), which is *not* a
  ConnectionError: clients must treat it as ambiguous too.

WSGI gives an application no handle on its connection, and the obvious trick (Content-Length
larger than the body plus `Connection: close`) fails on Django's server: wsgiref refuses
hop-by-hop headers from applications (AssertionError, a 500), and without the header the
keep-alive connection stays open, so the client just waits for bytes that never come. The
only owner of the socket is the stdlib request handler on the call stack; we find it there and
use its public attributes (`connection`, `close_connection`). Under a server without one
(gunicorn, Django's test client) RESET and TRUNCATE degrade to a response whose
Content-Length exceeds its body, which servers that close after each response turn into an
incomplete read.
"""

import logging
import socket
import socketserver
import sys
import time

logger = logging.getLogger("sandbox.faults")

TIMEOUT, RESET, TRUNCATE = "timeout", "reset", "truncate"
MODES = (TIMEOUT, RESET, TRUNCATE)


def _request_handler():
    """The socketserver handler serving the current request, found on the call stack."""
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, socketserver.StreamRequestHandler):
            return candidate
        frame = frame.f_back
    return None


def _overstate_length(response):
    """Promise more bytes than the body has, so the client's read comes up short."""
    body_length = len(response.content)
    response["Content-Length"] = str(body_length + max(64, body_length))
    return response


def lose(response, mode, *, delay_seconds=0.0):
    """Return what the view should return so that the client does not get `response`."""
    if mode == TIMEOUT:
        time.sleep(delay_seconds)
        return response
    handler = _request_handler()
    if handler is None:
        logger.warning("lost-response %s: no socket handler on the stack (not Django's dev "
                       "server); answering with an overstated Content-Length", mode)
        return _overstate_length(response)
    # After this request the server closes the connection instead of waiting for another.
    handler.close_connection = True
    if mode == RESET:
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:  # the client is already gone: nothing left to lose
            pass
        return response
    return _overstate_length(response)
