"""Ids from a request: one rule for every page (crm/params.py)."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from crm.params import id_param, parse_id


@pytest.mark.parametrize("raw", ["x", "-1", "1.0", "²", "١٢", "9" * 19, " 7"])
def test_what_is_not_an_id_answers_404(raw):
    with pytest.raises(Http404):
        parse_id(raw)


def test_an_id_is_read_and_an_absent_one_is_none():
    assert parse_id("42") == 42 and parse_id(7) == 7
    assert id_param(RequestFactory().get("/", {"rm": "12"}), "rm") == 12
    assert id_param(RequestFactory().get("/", {"rm": ""}), "rm") is None
    assert id_param(RequestFactory().get("/"), "rm") is None


@pytest.mark.parametrize(
    "url",
    [
        reverse("service-create") + "?customer=²",
        reverse("visits-diary") + "?rm=²",
        reverse("watchlists-list") + "?rm=²",
    ],
)
def test_pages_answer_404_not_500_for_a_digit_that_is_not_ascii(client_for, personas, url):
    assert client_for("rm").get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/tickets/?received_after=2003-02-10T05:05:53.6-21:36",
        "/api/visits/?start_after=2026-02-10T05:05:53-21:36",
    ],
)
def test_a_time_zone_offset_the_database_cannot_read_is_a_400(api_for, personas, url):
    response = api_for("rm").get(url)
    assert response.status_code == 400
    assert "-15:59" in str(response.json())
