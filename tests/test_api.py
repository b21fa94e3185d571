import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import PERSONAS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_me_answers_who_the_token_belongs_to(api_for, personas, persona):
    user = getattr(personas, persona)
    body = api_for(persona).get("/api/me/").json()
    assert body["username"] == user.username
    assert body["role"] == user.role
    assert body["branch"] == {
        "id": user.branch.pk,
        "code": user.branch.code,
        "name": user.branch.name,
    }
    assert body["language"] == "zh-hans"


def test_token_from_the_management_command_works(personas, capsys):
    call_command("drf_create_token", "rm")
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/me/").json()["role"] == "rm"


def test_me_without_credentials_is_a_json_401_in_chinese(db):
    error = assert_error(APIClient().get("/api/me/"), 401, "not_authenticated")
    assert error["message"] == "身份认证信息未提供。"


def test_me_with_a_wrong_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/me/"), 401, "authentication_failed")


def test_errors_come_in_the_token_users_language(api_for, personas):
    personas.rm.language = "en"
    personas.rm.save()
    response = api_for("rm").patch("/api/me/", {"language": "fr"}, format="json")
    error = assert_error(response, 400, "invalid")
    assert error["message"] == "Some values are not valid."
    assert error["fields"]["language"] == ['"fr" is not a valid choice.']


def test_session_login_also_works_for_the_api(client, personas):
    client.force_login(personas.head)
    assert client.get("/api/me/").json()["role"] == "head"


def test_me_changes_only_the_language(api_for, personas):
    response = api_for("rm").patch("/api/me/", {"language": "en", "role": "admin"}, format="json")
    assert response.status_code == 200
    personas.rm.refresh_from_db()
    assert personas.rm.language == "en" and personas.rm.role == "rm"


def test_me_refuses_an_unknown_language_and_changes_nothing(api_for, personas):
    error = assert_error(
        api_for("rm").patch("/api/me/", {"language": "fr"}, format="json"), 400, "invalid"
    )
    assert "language" in error["fields"]
    personas.rm.refresh_from_db()
    assert personas.rm.language == "zh-hans"


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        ("rm", ["B1A"]),
        ("colleague", ["B1A"]),
        ("other_rm", ["B2A"]),
        ("head", ["B1", "B1A", "B1A-O", "B1B"]),
        ("admin", ["HO", "B1", "B1A", "B1A-O", "B1B", "B2", "B2A"]),
    ],
)
def test_branches_endpoint_is_scoped(api_for, persona, codes):
    body = api_for(persona).get("/api/branches/").json()
    assert [b["code"] for b in body["results"]] == codes


@pytest.mark.parametrize(
    ("persona", "usernames"),
    [
        ("rm", {"rm"}),
        ("colleague", {"colleague"}),
        ("other_rm", {"other_rm"}),
        ("head", {"rm", "colleague", "head"}),
        ("admin", {"rm", "colleague", "head", "other_rm", "other_head", "admin"}),
    ],
)
def test_users_endpoint_is_scoped(api_for, persona, usernames):
    body = api_for(persona).get("/api/users/").json()
    assert {u["username"] for u in body["results"]} == usernames


def test_users_endpoint_filters_inside_the_scope(api_for):
    body = api_for("head").get("/api/users/", {"role": "rm"}).json()
    assert {u["username"] for u in body["results"]} == {"rm", "colleague"}


def test_pagination_pages_without_counting(api_for, org):
    UserFactory.create_batch(7, branch=org.b2a)  # 13 users in all
    client = api_for("admin")
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/users/", {"page_size": 5}).json()
    assert not any("COUNT(" in q["sql"].upper() for q in queries)
    assert len(first["results"]) == 5 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=5" in first["next"]
    last = client.get("/api/users/", {"page_size": 5, "page": 3}).json()
    assert len(last["results"]) == 3 and last["next"] is None and "page=2" in last["previous"]
    everyone = first["results"] + client.get(first["next"]).json()["results"] + last["results"]
    assert len({u["id"] for u in everyone}) == 13


def test_page_size_is_capped(api_for):
    assert api_for("admin").get("/api/users/", {"page_size": 10_000}).json()["page_size"] == 200


@pytest.mark.parametrize("bad", ["0", "-1", "abc"])
def test_bad_page_numbers_are_a_json_400(api_for, bad):
    error = assert_error(api_for("admin").get("/api/users/", {"page": bad}), 400, "invalid")
    assert "page" in error["fields"]


def test_a_page_past_the_end_is_a_json_404(api_for):
    assert_error(api_for("admin").get("/api/users/", {"page": 99}), 404, "not_found")


HUGE_PAGES = ["99999999999999999999", "9223372036854775807", "184467440737095517"]


@pytest.mark.parametrize("page", HUGE_PAGES)
@pytest.mark.parametrize(
    "path", ["/api/customers/", "/api/visits/", "/api/products/", "/api/reminders/", "/api/users/"]
)
def test_a_page_beyond_any_database_offset_is_a_json_404(api_for, book, path, page):
    assert_error(api_for("rm").get(path, {"page": page}), 404, "not_found")


@pytest.mark.parametrize("page", HUGE_PAGES)
def test_holdings_page_beyond_any_database_offset_is_a_json_404(api_for, book, page):
    response = api_for("rm").get(f"/api/customers/{book.mine.pk}/holdings/", {"page": page})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("page", HUGE_PAGES)
@pytest.mark.parametrize("url", ["/customers/", "/visits/"])
def test_html_lists_show_an_empty_page_beyond_any_database_offset(client_for, book, url, page):
    assert client_for("rm").get(url, {"page": page}).status_code == 200


def test_the_shared_paginator_never_asks_the_database_past_its_offsets(django_assert_num_queries):
    from crm.pagination import paginate
    from customers.models import Customer

    with django_assert_num_queries(0):
        page = paginate(Customer.objects.order_by("id"), 2**62, 50)
    assert list(page) == [] and not page.has_next and page.has_previous


def test_list_query_count_does_not_grow_with_rows(api_for, org):
    client = api_for("admin")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/users/")
    UserFactory.create_batch(40, branch=org.b2a)
    with CaptureQueriesContext(connection) as many:
        client.get("/api/users/")
    assert len(many) == len(few)


def test_unknown_api_paths_answer_json_404(api_for):
    assert_error(api_for("rm").get("/api/no-such-thing/"), 404, "not_found")


def test_schema_is_valid_openapi_3_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3.")


def test_schema_and_docs_are_served_with_local_assets_only(client, personas):
    client.force_login(personas.rm)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    assert "/api/me/" in schema.json()["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/api/customers/{HUGE}/", {}),
        (f"/api/customers/{HUGE}/holdings/", {}),
        (f"/api/customers/{HUGE}/relations/", {}),
        (f"/api/visits/{HUGE}/", {}),
        (f"/api/reminders/{HUGE}/", {}),
        ("/api/customers/", {"branch": HUGE}),
        ("/api/customers/", {"page_size": HUGE}),
        ("/api/visits/", {"customer": HUGE}),
        ("/api/users/", {"branch": HUGE}),
        ("/api/products/", {"page": "1", "page_size": "-" + HUGE}),
    ],
)
def test_out_of_range_numbers_never_answer_500(api_for, book, path, params):
    response = api_for("admin").get(path, params)
    assert response.status_code in (200, 400, 404), response.content
    assert set(response.json()) >= ({"results"} if response.status_code == 200 else {"error"})
