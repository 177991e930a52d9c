"""The branding page: administrators only, the colour's contrast and the logo's format refused where they are read."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.branding.models import SINGLETON_ID, Branding
from comptoir.branding.selectors import brand_get
from tests.branding.conftest import HOSTILE_SVG, form_data, image_bytes, upload
from tests.workspace.test_bulk_views import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin(client, admin) -> Client:
    client.force_login(admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_visitor_is_sent_to_log_in(client):
    for method in ("get", "post"):
        response = getattr(client, method)(url("agent_branding_settings"))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", [Role.AGENT, Role.REQUESTER])
def test_an_agent_or_a_requester_is_refused_and_changes_nothing(client, role):
    client.force_login(User.objects.create_user("bob@example.com", name="Bob", role=role))
    assert client.get(url("agent_branding_settings")).status_code == 403
    assert client.post(url("agent_branding_settings"), form_data(name_en="Mine")).status_code == 403
    assert not Branding.objects.exists()


def test_the_settings_hub_leads_to_it(as_admin):
    assert url("agent_branding_settings") in as_admin.get(url("agent_settings")).content.decode()


def test_an_admin_saves_names_colour_links_signatures_and_a_logo(as_admin):
    data = form_data(
        name_fr="Assistance Exemple",
        name_en="Example Support",
        colour="#1D4ED8",
        link_1_label_fr="Confidentialité",
        link_1_label_en="Privacy",
        link_1_url="https://example.com/privacy",
        signature_fr="Équipe Exemple",
        signature_en="The Example team",
        logo=upload(image_bytes(size=(300, 300))),
    )
    response = as_admin.post(url("agent_branding_settings"), data)
    assert response.status_code == 302
    row = Branding.objects.get(pk=SINGLETON_ID)
    assert (row.name_fr, row.name_en, row.colour) == ("Assistance Exemple", "Example Support", "#1d4ed8")
    assert row.footer_links == [
        {"label_fr": "Confidentialité", "label_en": "Privacy", "url": "https://example.com/privacy"}
    ]
    assert (row.signature_fr, row.signature_en) == ("Équipe Exemple", "The Example team")
    assert row.logo_content_type == "image/png"
    page = as_admin.get(url("agent_branding_settings")).content.decode()
    assert brand_get().logo_path in page  # the current logo is shown
    assert 'value="#1d4ed8"' in page


def test_a_pale_colour_is_refused_with_its_ratio_and_nothing_is_saved(as_admin):
    response = as_admin.post(url("agent_branding_settings"), form_data(name_en="Pale", colour="#fbbf24"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "contrast with white is 1.66:1" in page
    assert "4.5:1" in page
    assert not Branding.objects.exists()


def test_the_refusal_is_said_in_french_too(client, admin):
    admin.language = "fr"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    with translation.override("fr"):
        address = reverse("agent_branding_settings")
    with_french = client.post(address, form_data(colour="#fbbf24"), HTTP_ACCEPT_LANGUAGE="fr")
    assert with_french.status_code == 400
    assert "1,66:1" in with_french.content.decode()  # a French decimal comma


def test_an_svg_logo_is_refused_and_nothing_is_saved(as_admin):
    data = form_data(name_en="With SVG", logo=upload(HOSTILE_SVG, "logo.svg", "image/svg+xml"))
    response = as_admin.post(url("agent_branding_settings"), data)
    assert response.status_code == 400
    assert "SVG files are refused" in response.content.decode()
    assert not Branding.objects.exists()


def test_an_svg_disguised_as_a_png_is_refused_too(as_admin):
    response = as_admin.post(url("agent_branding_settings"), form_data(logo=upload(HOSTILE_SVG, "logo.png")))
    assert response.status_code == 400
    assert not Branding.objects.exists()


def test_a_footer_link_must_be_https_and_labelled(as_admin):
    data = form_data(link_1_label_en="Site", link_1_url="http://example.com/", link_2_url="https://example.com/x")
    response = as_admin.post(url("agent_branding_settings"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The address must start with https://." in page
    assert "Give the link a label." in page
    assert not Branding.objects.exists()


def test_a_new_logo_replaces_the_old_one_and_removing_it_brings_the_mark_back(as_admin):
    as_admin.post(url("agent_branding_settings"), form_data(logo=upload(image_bytes(colour="#111111"))))
    first = brand_get().logo_path
    as_admin.post(url("agent_branding_settings"), form_data(logo=upload(image_bytes(colour="#222222"))))
    second = brand_get().logo_path
    assert first and second and first != second
    assert as_admin.get(first).status_code == 404  # the old address is gone with its file
    assert as_admin.get(second).status_code == 200
    as_admin.post(url("agent_branding_settings"), form_data(logo_remove="on"))
    assert brand_get().logo_path == ""
    assert as_admin.get(second).status_code == 404
