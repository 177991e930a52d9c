"""What a long-running process made while starting is moved out of the garbage collector's sight.

A started Comptoir process tracks about 175,000 objects (modules, URL patterns,
models' options, translations). Every full collection walks all of them: about
90 ms on the benchmarks' machine, once every few hundred requests, all of it
inside one request (a list page of 13 ms then takes 100). They live as long as
the process and hold no garbage, so ``gc.freeze()`` moves them to the
collector's permanent generation; full collections then walk only what requests
and tasks have made since. A cycle of frozen objects that becomes garbage later
is never freed: startup's objects do not, and workers are replaced now and then
(gunicorn's max_requests). Called by each web worker as it starts
(comptoir/wsgi.py) and by a Celery worker before its pool forks (comptoir.celery).
"""

from __future__ import annotations

import gc


def settle(*, load_urls: bool) -> None:
    """Freeze what the process holds now: called once it has loaded what its requests or tasks need.

    ``load_urls``: import the URLconf first (a web worker), whose views import the forms, templates' tags
    and services every request uses; otherwise they would be imported by the first request, after the freeze.
    """
    if load_urls:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf's modules
    # Startup's own garbage (import-time temporaries) is collected first, not kept for the process's life.
    gc.collect()
    gc.freeze()
