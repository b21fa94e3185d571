import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate(settings):
    caches[settings.API_THROTTLE_CACHE].clear()

    def set_rate(user):
        settings.API_THROTTLE_RATE = user

    yield set_rate
    caches[settings.API_THROTTLE_CACHE].clear()


def test_a_user_past_the_rate_gets_429_with_the_throttled_error(api_for, rate):
    rate("3/min")
    rm = api_for("rm")
    assert [rm.get("/api/me/").status_code for _ in range(3)] == [200, 200, 200]
    response = rm.get("/api/me/")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["status"] == 429
    assert error["code"] == "throttled"
    assert error["message"]
    assert 0 < int(response["Retry-After"]) <= 60
    # Another user has their own allowance.
    assert api_for("head").get("/api/me/").status_code == 200


def test_requests_without_credentials_are_refused_before_any_count(rate):
    rate("1/min")
    client = APIClient()
    assert [client.get("/api/me/").status_code for _ in range(3)] == [401, 401, 401]


def test_the_throttle_answers_in_the_users_language(api_for, personas, rate):
    rate("1/min")
    personas.rm.language = "zh-hans"
    personas.rm.save()
    rm = api_for("rm")
    rm.get("/api/me/")
    message = rm.get("/api/me/").json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_the_schema_documents_429_on_every_operation(api_for):
    schema = api_for("rm").get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "429" in operation["responses"], f"{method.upper()} {path}"
