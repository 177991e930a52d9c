from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from comptoir.core.heap import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
application = get_wsgi_application()
# Each gunicorn worker imports this module (preload_app is off): its startup objects leave the collector's
# full collections, which would otherwise walk them inside a request now and then (comptoir.core.heap).
settle(load_urls=True)
