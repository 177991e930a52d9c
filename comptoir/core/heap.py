"""What a long-running process made while starting is moved out of the garbage collector's sight.

A started Comptoir process holds about 175,000 objects that the cyclic garbage
collector tracks (modules, URL patterns, models' options, translations). Every
full collection walks all of them: about 90 ms on two cores, once every few
hundred requests, all of it inside one request (a list page of 13 ms then takes
100). They live as long as the process and hold no garbage, so ``gc.freeze()``
moves them to the collector's permanent generation; full collections then walk
only what requests and tasks have left. Forked children share the frozen
objects' pages with their parent for longer, too: a collection no longer writes
to every object's header.
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
