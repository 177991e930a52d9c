"""gunicorn's settings for Comptoir in production (docs/deploy.md).

    gunicorn -c deploy/gunicorn.conf.py comptoir.wsgi

Only what differs between servers comes from the environment, read by the same
typed helpers as the settings (comptoir.env), so that a bad value stops start-up
with the variable's name. `kill -HUP <master pid>` (systemd's `reload`) starts new
workers on the new code and lets the old ones finish their requests.
"""

from __future__ import annotations

import os

from comptoir.env import env_int, env_str

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
