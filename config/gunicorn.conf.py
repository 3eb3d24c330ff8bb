"""gunicorn's settings for serving the hub for real (`make serve`, the Procfile's `web`):
`gunicorn -c config/gunicorn.conf.py config.wsgi`.

Threaded workers (`gthread`): a request spends part of its time waiting on PostgreSQL (a
webhook is verify + one statement, README "Webhooks"), and another thread of the same process
uses the CPU meanwhile, or joins its insert (the inbox's group commit); they also keep a
client's HTTP connection alive, which sync workers close after every request. With 2 sync
workers `bench/webhook_ingest.py` (which serves with this file and config/wsgi.py) answered
123-171 webhooks/s and 963-973 bare requests/s; with these, 296-454 and 2,129-2,561, before
the webhook path itself was made cheap. Nothing of ours streams or waits long (provider calls
run in the task queue), and Django keeps one database connection per thread. Workers are
recycled now and then against slow leaks, and the access log never carries `code`, `token` or
`state` (config/logfilters.py).
Variables: `PORT` (8000), `HOST` (0.0.0.0), `WEB_CONCURRENCY` (worker processes, 2 per CPU +
1), `GUNICORN_THREADS` (threads per worker, 4; each may hold a database connection),
`GUNICORN_TIMEOUT` (30 s)."""

import logging
import multiprocessing
import os

from config.logfilters import RedactQueryParams

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Method, path with query (redacted), status, size and time: no referer, no user agent.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# On the logger, not a handler: every handler gunicorn (or a logconfig) adds gets it redacted.
logging.getLogger("gunicorn.access").addFilter(RedactQueryParams())
