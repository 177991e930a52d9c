"""The Help Center follows the branding: name, logo, colour, footer links; and looks as shipped without one."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from comptoir.branding.context_processors import brand
from comptoir.branding.selectors import brand_get
from tests.branding.helpers import brand_everything, brand_nothing
from tests.workspace.test_bulk_views import url

pytestmark = pytest.mark.django_db


def page(client, path: str = "/en/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    # The form's CSRF token differs from one response to the next.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_the_header_footer_and_title_show_the_branding_in_each_language(client):
    brand_everything()
    english = page(client, "/en/")
    french = page(client, "/fr/")
    logo = brand_get().logo_path
    assert f'<img class="brand-logo" src="{logo}"' in english
    assert "brand-mark" not in english
    assert 'Example Support <span class="brand-sub">' in english
    assert 'Assistance Exemple <span class="brand-sub">' in french
    assert re.search(r"<title>[^<]* · Example Support</title>", english)
    assert '<a href="https://example.com/privacy">Privacy</a>' in english
    assert '<a href="https://example.com/privacy">Confidentialité</a>' in french
    assert "--brand: #1d4ed8; --brand-dark: " in english


def test_a_name_given_in_one_language_serves_both(client):
    from comptoir.branding.services import branding_update

    branding_update(name_fr="", name_en="Only English", colour="", footer_links=[], signature_fr="", signature_en="")
    assert "Only English <span" in page(client, "/fr/")


def test_without_branding_the_help_center_looks_as_shipped(client):
    shipped = page(client, "/en/")
    assert '<span class="brand-mark" aria-hidden="true">C</span>' in shipped
    assert f'{settings.COMPTOIR_SITE_NAME} <span class="brand-sub">' in shipped
    assert "--brand:" not in shipped
    assert "footer-links" not in shipped
    # A row with every field empty is the same page, byte for byte.
    brand_nothing()
    assert page(client, "/en/") == shipped


def test_the_branding_costs_one_query_however_often_a_page_reads_it(rf: RequestFactory):
    brand_everything()
    request = rf.get("/en/")
    template = engines["django"].from_string(
        "{{ brand.name }} {{ brand.colour }} {{ brand.logo_path }} {% for l in brand.footer_links %}{{ l.label }}"
        "{% endfor %} {{ brand.name }} {{ brand.colour_dark }}"
    )
    with CaptureQueriesContext(connection) as queries:
        first = template.render(brand(request), request)
        second = template.render(brand(request), request)  # a second template on the same request
    assert first == second
    assert len(queries) == 1
    assert "branding_branding" in queries[0]["sql"]


def test_a_page_that_never_shows_the_branding_runs_no_query_for_it(rf: RequestFactory):
    brand_everything()
    with CaptureQueriesContext(connection) as queries:
        engines["django"].from_string("{{ 1 }}").render(brand(rf.get("/")), rf.get("/"))
    assert len(queries) == 0


def test_a_help_center_page_reads_the_branding_once(client):
    brand_everything()
    with CaptureQueriesContext(connection) as queries:
        page(client, "/en/")  # the title, the header, the style and the footer all read it
    assert sum("branding_branding" in q["sql"] for q in queries) == 1


@pytest.mark.parametrize(("language", "name"), [("fr", "Assistance Exemple"), ("en", "Example Support")])
def test_the_workspace_wears_the_branding_for_one_query(client, admin, language, name):
    brand_everything()
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        with translation.override(language):
            address = reverse("agent_settings")
        workspace = client.get(address).content.decode()
    # The title, the top bar and the style all read it: one query (issue 22).
    assert sum("branding_branding" in q["sql"] for q in queries) == 1
    topbar = workspace.split('<header class="ws-topbar">')[1].split("</a>")[0]
    assert f'<img class="brand-logo" src="{brand_get().logo_path}"' in topbar
    assert "brand-mark" not in topbar
    assert f'{name} <span class="brand-sub">' in topbar
    assert re.search(rf"<title>[^<]* · {name}</title>", workspace)
    assert "--brand: #1d4ed8" in workspace


def test_the_workspace_without_branding_shows_comptoir(client, admin):
    client.force_login(admin)
    workspace = client.get(url("agent_settings")).content.decode()
    topbar = workspace.split('<header class="ws-topbar">')[1].split("</a>")[0]
    assert '<span class="brand-mark" aria-hidden="true">C</span>' in topbar
    assert f'{settings.COMPTOIR_SITE_NAME} <span class="brand-sub">' in topbar
    assert "--brand:" not in workspace
