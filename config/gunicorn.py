"""gunicorn's configuration for production: ``gunicorn -c config/gunicorn.py``.

Pre-forked synchronous workers: Django's views and psycopg are synchronous, so one request per
worker process at a time, and as many workers as the machine serves at once (``WEB_CONCURRENCY``,
by default twice the cores plus one). gunicorn sits behind the reverse proxy that terminates
TLS (it trusts its ``X-Forwarded-*`` headers from ``FORWARDED_ALLOW_IPS`` only) and that limits
the size of request bodies. Static files are served by whitenoise inside the application.

Environment: ``GUICHET_BIND`` (``127.0.0.1:8000``), ``WEB_CONCURRENCY``, ``GUNICORN_TIMEOUT``
(seconds, 30), ``GUNICORN_MAX_REQUESTS`` (a worker is replaced after so many requests, 2000;
0: never), ``FORWARDED_ALLOW_IPS`` (``127.0.0.1``). ``kill -HUP`` on the master reloads the code
gracefully: new workers start, the old ones finish their requests.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUICHET_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", "0")) or multiprocessing.cpu_count() * 2 + 1
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Replaced now and then, a jitter apart so they do not all restart together: bounds the memory a
# long-lived worker may accumulate.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Requests and errors on standard output and error, for journald or the platform's logs.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
raw_env = [
    f"DJANGO_SETTINGS_MODULE={os.environ.get('DJANGO_SETTINGS_MODULE', 'config.settings.production')}"
]
