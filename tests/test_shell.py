"""The application shell: htmx answers, the shared pager, the language switch, the favicon and
what a refusal leaves in the log."""

from django.urls import reverse


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
