import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def preferences(client, **data):
    return client.post(reverse("accounts-preferences"), data)


def test_an_rm_chooses_wecom_with_their_wecom_user_id(wecom, client_for, personas):
    client = client_for("rm")
    page = client.get(reverse("accounts-preferences")).content.decode()
    assert "企业微信账号" in page and "未开通" not in page
    response = preferences(client, wecom_userid="zhangwei", remind_by_wecom="on")
    assert response.status_code == 302
    personas.rm.refresh_from_db()
    assert personas.rm.remind_by_wecom and personas.rm.wecom_userid == "zhangwei"


def test_choosing_wecom_without_a_user_id_is_refused_next_to_the_field(wecom, client_for, personas):
    response = preferences(client_for("rm"), remind_by_wecom="on")
    assert response.status_code == 200
    assert "请填写您的企业微信账号" in response.context["form"].errors["wecom_userid"][0]
    personas.rm.refresh_from_db()
    assert not personas.rm.remind_by_wecom


def test_a_malformed_user_id_is_refused(wecom, client_for, personas):
    response = preferences(client_for("rm"), wecom_userid="张 伟", remind_by_wecom="on")
    assert "wecom_userid" in response.context["form"].errors
    personas.rm.refresh_from_db()
    assert personas.rm.wecom_userid == ""


def test_without_credentials_the_page_says_wecom_is_off(settings, client_for, personas):
    settings.WECOM_CORP_ID = settings.WECOM_SECRET = settings.WECOM_ROBOT_WEBHOOK = ""
    client = client_for("rm")
    response = client.get(reverse("accounts-preferences"))
    form = response.context["form"]
    assert form.fields["remind_by_wecom"].disabled and form.fields["remind_by_wecom_robot"].disabled
    page = response.content.decode()
    assert "未开通：管理员尚未配置企业微信消息。" in page
    assert "未开通：您的团队尚未设置企业微信群机器人。" in page
    # A disabled choice cannot be switched on by posting it anyway.
    preferences(client, wecom_userid="zhangwei", remind_by_wecom="on", remind_by_wecom_robot="on")
    personas.rm.refresh_from_db()
    assert not personas.rm.remind_by_wecom and not personas.rm.remind_by_wecom_robot


def test_the_team_robot_is_on_for_a_branch_with_a_webhook_only(settings, client_for, org):
    settings.WECOM_ROBOT_WEBHOOK = ""
    org.b1.wecom_robot_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
    org.b1.save()
    rm_form = client_for("rm").get(reverse("accounts-preferences")).context["form"]
    assert not rm_form.fields["remind_by_wecom_robot"].disabled  # B1A is under B1
    other_form = client_for("other_rm").get(reverse("accounts-preferences")).context["form"]
    assert other_form.fields["remind_by_wecom_robot"].disabled  # B2A is not


def test_patch_me_sets_the_wecom_choices(wecom, api_for, personas):
    api = api_for("rm")
    response = api.patch(
        "/api/me/", {"wecom_userid": "zhangwei", "remind_by_wecom": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["remind_by_wecom"] is True
    personas.rm.refresh_from_db()
    assert personas.rm.remind_by_wecom and personas.rm.wecom_userid == "zhangwei"


def test_patch_me_refuses_wecom_without_a_user_id_or_when_it_is_off(
    wecom, api_for, personas, settings
):
    api = api_for("rm")
    response = api.patch("/api/me/", {"remind_by_wecom": True}, format="json")
    assert response.status_code == 400 and "wecom_userid" in str(response.json())
    settings.WECOM_SECRET = ""
    response = api.patch(
        "/api/me/", {"wecom_userid": "zhangwei", "remind_by_wecom": True}, format="json"
    )
    assert response.status_code == 400 and "remind_by_wecom" in str(response.json())
    personas.rm.refresh_from_db()
    assert not personas.rm.remind_by_wecom and personas.rm.wecom_userid == ""
