"""The application shell: htmx answers, the shared pager, the language switch, the favicon and
what a refusal leaves in the log."""

import logging

import pytest
from django.conf import settings
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from crm.pagination import CountlessPage

HX = {"HX-Request": "true"}
HX_HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


# --- htmx ---------------------------------------------------------------------------------


def test_the_customer_search_answers_a_fragment_to_htmx_and_varies_on_it(client_for, book):
    client = client_for("rm")
    url = reverse("customers-list")
    page = client.get(url, {"q": "zw"})
    fragment = client.get(url, {"q": "zw"}, headers=HX)
    assert b"<html" in page.content
    assert b"<html" not in fragment.content
    assert book.mine.name in fragment.content.decode()
    # Same URL, two bodies: a cache must keep them apart, or "back" shows a bare table.
    for response in (page, fragment):
        assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(client_for, book):
    response = client_for("rm").get(
        reverse("customers-list"), {"q": "zw"}, headers=HX_HISTORY_RESTORE
    )
    assert response.status_code == 200
    assert b"<html" in response.content
    assert b'id="customer-results"' in response.content


def test_html_pages_vary_on_hx_request_and_json_does_not_need_to(client_for, api_for):
    assert "HX-Request" in client_for("rm").get(reverse("home"))["Vary"]
    api = api_for("rm").get("/api/customers/")
    assert "HX-Request" not in api.get("Vary", "")


# --- the pager ----------------------------------------------------------------------------


def render_pager(page, query):
    request = RequestFactory().get("/visits/", query)
    template = engines["django"].from_string('{% include "_pagination.html" %}')
    return template.render({"page_obj": page}, request)


def test_the_pager_needs_no_page_count_and_keeps_the_lists_parameters():
    page = CountlessPage(object_list=[1, 2], number=2, size=2, has_next=True)
    html = render_pager(page, {"status": "planned", "page": "2"})
    assert " / " not in html
    assert "第 2 页" in html
    assert 'href="?status=planned"' in html  # page 1 needs no page parameter
    assert 'href="?status=planned&amp;page=3"' in html


def test_the_pager_on_the_last_page_offers_only_previous():
    page = CountlessPage(object_list=[1], number=3, size=2, has_next=False)
    html = render_pager(page, {"page": "3"})
    assert 'rel="prev" href="?page=2"' in html
    assert 'rel="next"' not in html


def test_the_pager_is_absent_on_a_single_page():
    assert "<nav" not in render_pager(CountlessPage([1], 1, 2, False), {})


def test_the_visit_list_pages_without_counting(client_for, book):
    from tests.factories import VisitFactory

    VisitFactory.create_batch(51, customer=book.mine)
    client = client_for("rm")
    first = client.get(reverse("visits-list")).content.decode()
    assert "第 1 页" in first and "?page=2" in first and " / </span>" not in first
    second = client.get(reverse("visits-list"), {"page": 2}).content.decode()
    assert "第 2 页" in second and 'rel="prev"' in second and 'rel="next"' not in second


# --- language switch ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_language_switch_names_each_language_in_itself(client, db, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("accounts-login")).content.decode()
    assert 'lang="en"' in html and ">English</button>" in html
    assert ">中文</button>" in html
    assert "英语" not in html and ">英文<" not in html


# --- favicon and logs ---------------------------------------------------------------------


def test_the_favicon_answers(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")


def test_a_refusal_is_logged_as_one_line_without_a_traceback(client_for, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for("rm").get(reverse("accounts-users"))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    line = logging.Formatter().format(records[0])
    assert "Forbidden" in line and "/accounts/users/" in line
    assert "\n" not in line and "Traceback" not in line
