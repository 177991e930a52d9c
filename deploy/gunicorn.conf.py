"""gunicorn's settings for Comptoir in production (docs/deploy.md).

    gunicorn -c deploy/gunicorn.conf.py comptoir.wsgi

Only what differs between servers comes from the environment, read by the same
typed helpers as the settings (comptoir.env), so that a bad value stops start-up
with the variable's name. `kill -HUP <master pid>` (systemd's `reload`) starts new
workers on the new code and lets the old ones finish their requests.
"""

from __future__ import annotations

import os

from comptoir.env import env_bool, env_int, env_str

# Where to listen: a reverse proxy (Caddy, nginx, a load balancer) sits in front.
bind = [env_str("COMPTOIR_WEB_BIND", f"127.0.0.1:{env_int('PORT', 8000, minimum=1)}")]

# Sync workers by default; with threads above 1, gthread: a slow upload or a slow
# client then holds one thread, not a whole process.
workers = env_int("COMPTOIR_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1, minimum=1)
threads = env_int("COMPTOIR_WEB_THREADS", 1, minimum=1)
worker_class = "gthread" if threads > 1 else "sync"

# A request that runs longer is cut and its worker replaced. Uploads of up to
# COMPTOIR_ATTACHMENT_MAX_FILES x COMPTOIR_ATTACHMENT_MAX_MB arrive through the proxy, which
# buffers them (docs/deploy.md), so 60 s covers the slowest page Comptoir serves.
timeout = env_int("COMPTOIR_WEB_TIMEOUT", 60, minimum=1)
# On HUP or TERM, a worker has this long to finish the requests it holds.
graceful_timeout = env_int("COMPTOIR_WEB_GRACEFUL_TIMEOUT", 30, minimum=1)
keepalive = 5
# Workers are recycled now and then (with jitter, never all at once): a slow leak stays small.
max_requests = env_int("COMPTOIR_WEB_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = max_requests // 10

# Each worker imports Comptoir itself: a HUP then loads new code without a restart.
preload_app = False
# Temporary files of workers' heartbeats in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# The access log goes to standard output (journald, docker logs). It carries the
# path without its query string (%(U)s, not %(r)s): a query may hold a token or a
# search for a person. Tokens in the path (/t/<token>/) are scrubbed by
# comptoir.portal.log_filters, which each worker installs on gunicorn.access.
accesslog = env_str("COMPTOIR_WEB_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
proc_name = "comptoir-web"


def child_exit(server: object, worker: object) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (docs/deploy.md), a worker that ended stops counting in its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


# COMPTOIR_LOG_FORMAT=json (the default with DEBUG off, as in the settings): gunicorn's error and access lines are
# written by Comptoir's formatter (comptoir.core.logging_json), one JSON object per line: the access log's method,
# path, status, size, duration and the X-Request-ID the response was sent with, never a header, cookie or query.
if env_str("COMPTOIR_LOG_FORMAT", "text" if env_bool("DEBUG", False) else "json") == "json":
    _json_handler = {"formatter": "json"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "comptoir.core.logging_json.JsonFormatter"}},
        "handlers": {
            "access": (
                {**_json_handler, "class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
                if accesslog == "-"
                else {**_json_handler, "class": "logging.FileHandler", "filename": accesslog}
            ),
            "error": {**_json_handler, "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        },
        "root": {"level": loglevel.upper(), "handlers": ["error"]},
        # Not propagated: the root logger's handler (Django's, in each worker) would write each line twice.
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }
    # The id the response carries (comptoir.core.logging_json.RequestContextMiddleware), for the JSON line.
    access_log_format += " %({x-request-id}o)s"
