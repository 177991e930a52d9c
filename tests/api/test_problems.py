"""Every API error is RFC 9457 problem details, in the caller's language; every problem type has its page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.api.problems import KINDS, PROBLEM_MEDIA_TYPE, exception_handler
from comptoir.tickets.models import Ticket
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db


def assert_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert (body["type"], body["status"]) == (f"/api/v1/problems/{kind}", status)
    assert body["title"] and body["detail"]
    return body


def test_field_errors_point_into_the_body(api, people: People):
    body = assert_problem(
        api("post", "/api/v1/tickets/", token_for(people.requester_a), {"type": "riddle"}), 400, "validation-error"
    )
    assert body["detail"] == "3 fields have an invalid value: see errors."
    assert sorted((error["pointer"], error["code"]) for error in body["errors"]) == [
        ("#/body", "required"),
        ("#/subject", "required"),
        ("#/type", "invalid_choice"),
    ]


def test_a_body_that_is_not_json(client, people):
    response = client.post(
        "/api/v1/tickets/",
        "{oops",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(people.agent)}",
    )
    assert_problem(response, 400, "parse-error")


def test_a_body_that_is_not_an_object(api, people):
    body = assert_problem(
        api("post", "/api/v1/tickets/", token_for(people.agent), ["a", "list"]), 400, "validation-error"
    )
    assert body["errors"][0]["pointer"] == "#"


def test_a_url_encoded_form_body_is_an_unsupported_media_type(client, people):
    # JSON, or multipart/form-data where files go (test_files.py); an HTML form's encoding is neither.
    response = client.post(
        "/api/v1/tickets/",
        "subject=x&body=y",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {token_for(people.requester_a)}",
    )
    assert_problem(response, 415, "unsupported-media-type")
    assert Ticket.objects.count() == 2


def test_a_method_an_address_does_not_take(api, people):
    assert_problem(
        api("delete", f"/api/v1/tickets/{people.ticket_a.reference}/", token_for(people.agent)),
        405,
        "method-not-allowed",
    )


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/tickets", "/api/v2/tickets/", "/api/v1/nothing/here/"])
def test_an_address_under_api_that_names_nothing_is_a_404_problem(client, path):
    assert_problem(client.get(path), 404, "not-found")


def test_an_answer_only_html_will_do_is_refused(api, people):
    assert_problem(api("get", "/api/v1/me/", token_for(people.agent), HTTP_ACCEPT="text/html"), 406, "not-acceptable")


def test_a_client_may_ask_for_problem_json_by_name(api, people):
    response = api("get", "/api/v1/tickets/999999/", token_for(people.agent), HTTP_ACCEPT=PROBLEM_MEDIA_TYPE)
    assert_problem(response, 404, "not-found")


def test_the_accept_language_header_chooses_the_language(client, people):
    french = client.get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE="fr")
    english = client.get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE="en")
    assert (
        assert_problem(english, 401, "not-authenticated")["detail"] == "Authentication credentials were not provided."
    )
    assert assert_problem(french, 401, "not-authenticated")["detail"] == "Informations d'authentification non fournies."
    assert french["Content-Language"] == "fr"


def test_without_accept_language_the_caller_s_own_language_is_used(client, people):
    people.agent.language = "en"
    people.agent.save(update_fields=["language"])
    response = client.post(
        "/api/v1/tickets/", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_for(people.agent)}"
    )
    body = assert_problem(response, 400, "validation-error")
    assert "This field is required." in [error["detail"] for error in body["errors"]]
    assert response["Content-Language"] == "en"
    people.agent.language = "fr"
    people.agent.save(update_fields=["language"])
    response = client.post(
        "/api/v1/tickets/", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_for(people.agent)}"
    )
    assert "Ce champ est obligatoire." in [error["detail"] for error in response.json()["errors"]]


def test_an_error_of_ours_is_a_500_problem_and_is_logged(caplog, rf):
    request = rf.get("/api/v1/tickets/")
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError as exc:
        response = exception_handler(exc, {"request": request})
    assert response.status_code == 500
    assert response.data["type"] == "/api/v1/problems/server-error"
    assert "disk on fire" not in str(response.data)
    assert any(record.exc_info and "disk on fire" in str(record.exc_info[1]) for record in caplog.records)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_problem_type_has_a_page_saying_what_to_do(kind):
    response = Client().get(f"/api/v1/problems/{kind}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/api/v1/problems/{kind}" in html
    assert str(KINDS[kind][0]).replace("'", "&#x27;") in html


def test_a_problem_type_that_does_not_exist_has_no_page(client):
    assert client.get(reverse("api:problem", args=["made-up"])).status_code == 404
