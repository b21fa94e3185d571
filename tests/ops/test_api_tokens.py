from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import ALL_PERSONAS, assert_scope

pytestmark = pytest.mark.django_db


def api_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_works_until_it_expires(personas, settings):
    settings.API_TOKEN_DAYS = 90
    token = Token.objects.create(user=personas.rm)
    assert api_with(token.key).get("/api/me/").status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=90, seconds=1))
    response = api_with(token.key).get("/api/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "authentication_failed"
    assert "expired" in error["message"] or "过期" in error["message"]


def test_tokens_never_expire_when_the_lifetime_is_zero(personas, settings):
    settings.API_TOKEN_DAYS = 0
    token = Token.objects.create(user=personas.rm)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=3650))
    assert api_with(token.key).get("/api/me/").status_code == 200


def test_a_user_makes_a_token_sees_it_once_and_revokes_it(client_for, personas):
    client = client_for("rm")
    page = client.get("/ops/api-token/")
    assert page.status_code == 200
    assert page.context["row"] is None
    response = client.post("/ops/api-token/", {"action": "create"})
    assert response.status_code == 302
    token = Token.objects.get(user=personas.rm)
    shown = client.get("/ops/api-token/")
    assert token.key in shown.content.decode()
    assert shown.context["row"]["expires_at"] == token.created + timedelta(days=90)
    assert token.key not in client.get("/ops/api-token/").content.decode()  # only once
    assert api_with(token.key).get("/api/me/").status_code == 200

    client.post("/ops/api-token/", {"action": "create"})  # a new one replaces the old
    assert api_with(token.key).get("/api/me/").status_code == 401
    new = Token.objects.get(user=personas.rm)

    client.post("/ops/api-token/", {"action": "revoke"})
    assert not Token.objects.filter(user=personas.rm).exists()
    assert api_with(new.key).get("/api/me/").status_code == 401


def test_an_admin_revokes_anyones_token(client_for, personas):
    token = Token.objects.create(user=personas.other_rm)
    client = client_for("admin")
    listing = client.get("/ops/api-tokens/")
    assert listing.status_code == 200
    assert "other_rm" in listing.content.decode()
    assert token.key not in listing.content.decode()  # keys are never shown to an admin
    response = client.post(f"/ops/api-tokens/{personas.other_rm.pk}/revoke/")
    assert response.status_code == 302
    assert api_with(token.key).get("/api/me/").status_code == 401


def test_the_token_page_is_each_users_own(client_for, personas, org):
    assert_scope(client_for, "/ops/api-token/", allowed=set(ALL_PERSONAS) - {"inactive"})


def test_only_admins_see_and_revoke_tokens(client_for, personas):
    everyone_else = set(ALL_PERSONAS) - {"admin", "inactive"}
    assert_scope(client_for, "/ops/api-tokens/", allowed={"admin"}, visible=everyone_else)
    Token.objects.create(user=personas.rm)
    assert_scope(
        client_for,
        f"/ops/api-tokens/{personas.rm.pk}/revoke/",
        method="post",
        allowed=set(),
        visible=everyone_else,
        personas=[p for p in ALL_PERSONAS if p != "admin"],
    )
    assert Token.objects.filter(user=personas.rm).exists()
