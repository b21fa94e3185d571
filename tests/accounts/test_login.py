from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD, **extra):
    return client.post(
        reverse("accounts-login"), {"username": username, "password": password}, **extra
    )


def test_login_page_is_in_chinese_even_for_an_english_browser(client):
    response = client.get(reverse("accounts-login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_good_password_logs_in_and_lands_on_home(client, personas):
    response = login(client, "rm")
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == personas.rm


def test_wrong_password_says_so_in_chinese(client, personas):
    response = login(client, "rm", "wrong")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_repeated_failures_lock_the_account_with_a_clear_message(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "rm", "wrong").status_code == 200
    locked = login(client, "rm", "wrong")
    assert locked.status_code == 429
    assert "登录失败次数过多，账户已锁定" in locked.content.decode()
    # Even the right password is refused while locked, from any address.
    again = login(client, "rm", REMOTE_ADDR="10.9.9.9")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rm", "wrong")
    assert login(client, "colleague").status_code == 302


def test_lockout_ends_after_the_cooloff(client, personas, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rm", "wrong")
    assert login(client, "rm").status_code == 302


def test_admin_command_unlocks_a_user(client, personas):
    from django.core.management import call_command

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rm", "wrong")
    call_command("axes_reset_username", "rm")
    assert login(client, "rm").status_code == 302


def test_session_expires_after_inactivity(client, personas):
    login(client, "rm")
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts-login"))


def test_activity_pushes_the_expiry_back_at_most_once_a_minute(client, personas):
    from accounts.middleware import REFRESHED_KEY

    login(client, "rm")
    client.get(reverse("home"))
    # Within the minute: no write, the stored expiry stays where it was.
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    client.get(reverse("home"))
    assert Session.objects.get().expire_date < timezone.now() + timedelta(minutes=6)
    # A minute later the next request saves the session and moves the limit.
    session = client.session
    session[REFRESHED_KEY] -= settings.SESSION_REFRESH_SECONDS
    session.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    client.get(reverse("home"))
    assert Session.objects.get().expire_date > timezone.now() + timedelta(
        minutes=settings.SESSION_IDLE_MINUTES - 1
    )


def test_logout_is_a_post(client, personas):
    login(client, "rm")
    response = client.post(reverse("accounts-logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change(client, personas):
    login(client, "rm")
    data = {
        "old_password": PASSWORD,
        "new_password1": "a-new-passphrase-77",
        "new_password2": "a-new-passphrase-77",
    }
    assert client.post(reverse("accounts-password"), data).status_code == 302
    client.logout()
    assert login(client, "rm", "a-new-passphrase-77").status_code == 302


def test_password_change_with_a_wrong_old_password_changes_nothing(client, personas):
    login(client, "rm")
    data = {
        "old_password": "nope",
        "new_password1": "a-new-passphrase-77",
        "new_password2": "a-new-passphrase-77",
    }
    response = client.post(reverse("accounts-password"), data)
    assert "你的旧密码不正确。请重新输入。" in response.context["form"].errors["old_password"]
    personas.rm.refresh_from_db()
    assert personas.rm.check_password(PASSWORD)


# --- language ----------------------------------------------------------------------------------


def test_switching_language_is_remembered_on_the_user(client, personas):
    client.force_login(personas.rm)
    assert "我的一天" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("accounts-language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    personas.rm.refresh_from_db()
    assert personas.rm.language == "en"
    assert "My day" in client.get(reverse("home")).content.decode()
    # A fresh browser (no cookie) still gets English after logging in.
    client.logout()
    client.cookies.clear()
    login(client, "rm")
    assert client.get(reverse("home"))["Content-Language"] == "en"


def test_anonymous_language_switch_sets_a_cookie(client):
    response = client.post(
        reverse("accounts-language"), {"language": "en", "next": reverse("accounts-login")}
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get(reverse("accounts-login"))["Content-Language"] == "en"


def test_unknown_language_changes_nothing(client, personas):
    client.force_login(personas.rm)
    client.post(reverse("accounts-language"), {"language": "fr", "next": "/"})
    personas.rm.refresh_from_db()
    assert personas.rm.language == "zh-hans"


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post(
        reverse("accounts-language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


def test_language_switch_refuses_get(client):
    assert client.get(reverse("accounts-language")).status_code == 405
