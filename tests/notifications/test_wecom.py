import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Delivery
from notifications.tasks import deliver
from reminders.models import Reminder

pytestmark = pytest.mark.django_db


def digest_of(user, day):
    return Delivery.objects.get(user=user, kind=Delivery.Kind.DIGEST, day=day, channel="wecom")


def test_the_morning_plan_has_one_digest_and_one_message_per_urgent_reminder(wecom, on_wecom, due):
    services.plan_deliveries(due.today)
    services.plan_deliveries(due.today)  # a rerun creates nothing more
    kinds = sorted(Delivery.objects.values_list("kind", "channel"))
    assert kinds == [("digest", "wecom"), ("urgent", "wecom")]
    urgent = Delivery.objects.get(kind="urgent")
    assert urgent.reminder.kind == "maturity" and urgent.reminder.lead_days == 1
    for delivery_id in services.plan_deliveries(due.today):
        assert services.send_delivery(delivery_id) is True
    digest, alert = wecom.messages
    assert digest["touser"] == "zhangwei" and digest["agentid"] == 1000002
    assert "2 条" in digest["text"]["content"] and "张伟" in digest["text"]["content"]
    assert alert["text"]["content"].startswith("紧急")
    assert len(wecom.calls_to("/cgi-bin/gettoken")) == 1  # the token was cached
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_maturity_a_week_ahead_is_not_urgent(wecom, on_wecom, book):
    from datetime import timedelta

    from reminders.services import generate_reminders
    from tests.factories import HoldingFactory

    today = timezone.localdate()
    HoldingFactory(customer=book.mine, matures_on=today + timedelta(days=7))
    generate_reminders(today)
    services.plan_deliveries(today)
    assert list(Delivery.objects.values_list("kind", flat=True)) == ["digest"]


def test_users_who_did_not_choose_wecom_get_nothing(wecom, personas, due):
    personas.rm.wecom_userid = "zhangwei"
    personas.rm.save()
    assert services.plan_deliveries(due.today) == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_the_digest_once(wecom, on_wecom, due):
    results = []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            ids = services.plan_deliveries(due.today)
            results.extend(services.send_delivery(pk) for pk in ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each delivery went out once, whichever worker claimed it.
    assert results.count(True) == 2
    assert Delivery.objects.count() == 2
    contents = [m["text"]["content"] for m in wecom.messages]
    assert len(contents) == 2 and sum("紧急" in c for c in contents) == 1


def test_an_expired_token_is_fetched_again_and_the_message_sent(wecom, on_wecom, due):
    ids = services.plan_deliveries(due.today)
    assert services.send_delivery(ids[0]) is True
    wecom.expire_tokens()  # the cached token is now refused with errcode 42001
    assert services.send_delivery(ids[1]) is True
    assert len(wecom.calls_to("/cgi-bin/gettoken")) == 2
    sends = wecom.calls_to("/cgi-bin/message/send")
    assert [call[1]["access_token"] for call in sends] == ["token-1", "token-1", "token-2"]
    assert Delivery.objects.get(pk=ids[1]).state == "sent"


def test_an_invalid_token_is_fetched_again_once_only(wecom, on_wecom, due):
    ids = services.plan_deliveries(due.today)
    wecom.fail("/cgi-bin/message/send", body={"errcode": 40014, "errmsg": "invalid"}, times=2)
    with pytest.raises(Exception, match="40014"):
        services.send_delivery(ids[0])
    assert len(wecom.calls_to("/cgi-bin/message/send")) == 2
    assert len(wecom.calls_to("/cgi-bin/gettoken")) == 2


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, {"errmsg": "server error"}, "HTTP 500"),
        (200, {"errcode": -1, "errmsg": "system busy"}, "errcode -1"),
    ],
)
def test_a_failing_server_is_retried_then_the_delivery_fails_with_its_error(
    wecom, on_wecom, due, client_for, status, body, error
):
    wecom.fail("/cgi-bin/message/send", status=status, body=body, times=100)
    digest_id = services.plan_deliveries(due.today)[0]
    # Celery runs the retries inline here; the countdowns are not waited for.
    deliver.apply(args=[digest_id])
    digest = Delivery.objects.get(pk=digest_id)
    assert digest.state == "failed" and error in digest.last_error
    assert digest.attempts == services.MAX_ATTEMPTS
    assert len(wecom.calls_to("/cgi-bin/message/send")) == services.MAX_ATTEMPTS
    assert "secret" not in digest.last_error and "token" not in digest.last_error
    # The inbox is unaffected: the reminders are still there, unread and open.
    assert (
        not Reminder.objects.filter(recipient=on_wecom)
        .exclude(read_at=None, done_at=None, emailed_at=None)
        .exists()
    )
    page = client_for("rm").get(reverse("reminders-inbox"))
    assert sum(len(k["reminders"]) for d in page.context["days"] for k in d["kinds"]) == 2


def test_a_failed_attempt_waits_then_the_retry_sends_once(wecom, on_wecom, due):
    wecom.fail("/cgi-bin/message/send", status=502)
    digest_id = services.plan_deliveries(due.today)[0]
    with pytest.raises(Exception, match="HTTP 502") as raised:
        services.send_delivery(digest_id)
    assert raised.value.retry_in == services.backoff(1)
    waiting = Delivery.objects.get(pk=digest_id)
    assert waiting.state == "pending" and waiting.next_attempt_at and waiting.attempts == 1
    assert services.send_delivery(digest_id) is True
    assert services.send_delivery(digest_id) is False
    sent = Delivery.objects.get(pk=digest_id)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 2, "")
    assert len(wecom.messages) == 1


def test_an_unknown_wecom_user_fails_at_once_without_retrying(wecom, on_wecom, due):
    on_wecom.wecom_userid = "nobody"
    on_wecom.save()
    digest_id = services.plan_deliveries(due.today)[0]
    assert services.send_delivery(digest_id) is False
    failed = Delivery.objects.get(pk=digest_id)
    assert failed.state == "failed" and "nobody" in failed.last_error and failed.attempts == 1


def test_a_reminder_done_before_sending_is_skipped(wecom, on_wecom, due):
    ids = services.plan_deliveries(due.today)
    Reminder.objects.update(done_at=timezone.now())
    assert [services.send_delivery(pk) for pk in ids] == [False, False]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"skipped"}
    assert wecom.messages == []


def test_the_team_group_hears_how_many_not_about_whom(wecom, personas, due):
    personas.rm.remind_by_wecom_robot = True
    personas.rm.wecom_userid = "zhangwei"
    personas.rm.save()
    for delivery_id in services.plan_deliveries(due.today):
        services.send_delivery(delivery_id)
    assert len(wecom.robot_posts) == 2 and wecom.messages == []
    for post in wecom.robot_posts:
        assert post["msgtype"] == "text"
        assert post["text"]["mentioned_list"] == ["zhangwei"]
        assert "张伟" not in post["text"]["content"]  # the customer's name stays private


def test_a_branchs_own_robot_wins_over_the_setting(wecom, personas, org, due, settings):
    settings.WECOM_ROBOT_WEBHOOK = f"{wecom.base}/cgi-bin/webhook/send?key=wrong"
    org.b1.wecom_robot_webhook = f"{wecom.base}/cgi-bin/webhook/send?key=robot-key-1"
    org.b1.save()
    personas.rm.remind_by_wecom_robot = True
    personas.rm.save()
    for delivery_id in services.plan_deliveries(due.today):
        assert services.send_delivery(delivery_id) is True
    assert [c[1]["key"] for c in wecom.calls_to("/cgi-bin/webhook/send")] == ["robot-key-1"] * 2


def test_without_credentials_wecom_is_off_and_nothing_is_planned(settings, on_wecom, due):
    settings.WECOM_CORP_ID = settings.WECOM_SECRET = settings.WECOM_ROBOT_WEBHOOK = ""
    assert services.plan_deliveries(due.today) == []


def test_a_claim_left_by_a_dead_worker_is_released(wecom, on_wecom, due):
    from datetime import timedelta

    digest_id = services.plan_deliveries(due.today)[0]
    Delivery.objects.filter(pk=digest_id).update(
        state="sending", claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert services.send_delivery(digest_id) is False
    assert services.release_stale_claims() == 1
    assert services.send_delivery(digest_id) is True


def test_a_user_who_turned_wecom_off_since_the_plan_gets_nothing(wecom, on_wecom, due):
    ids = services.plan_deliveries(due.today)
    on_wecom.remind_by_wecom = False
    on_wecom.save()
    assert [services.send_delivery(pk) for pk in ids] == [False, False]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"skipped"}
    assert wecom.messages == []


def test_the_morning_task_sends_one_task_per_delivery(wecom, on_wecom, due, monkeypatch):
    from notifications import tasks

    sent = []
    monkeypatch.setattr(tasks.deliver, "delay", sent.append)
    tasks.send_morning_notifications(due.today.isoformat())
    assert sorted(sent) == sorted(Delivery.objects.values_list("pk", flat=True)) and len(sent) == 2


def test_the_sweeper_sends_again_what_a_lost_task_left_waiting(wecom, on_wecom, due, monkeypatch):
    from datetime import timedelta

    from notifications import tasks

    lost, fresh = services.plan_deliveries(due.today)
    Delivery.objects.filter(pk=lost).update(created_at=timezone.now() - timedelta(hours=1))
    sent = []
    monkeypatch.setattr(tasks.deliver, "delay", sent.append)
    tasks.retry_waiting_deliveries()
    assert sent == [lost]


def test_planning_costs_the_same_queries_for_one_rm_or_many(
    wecom, personas, book, django_assert_max_num_queries
):
    from datetime import timedelta

    from reminders.services import generate_reminders
    from tests.factories import CustomerFactory, HoldingFactory, UserFactory

    today = timezone.localdate()
    for number in range(5):
        rm = UserFactory(
            branch=personas.rm.branch, wecom_userid=f"rm{number}", remind_by_wecom=True
        )
        customer = CustomerFactory(primary_rm=rm)
        HoldingFactory(customer=customer, matures_on=today + timedelta(days=1))
    generate_reminders(today)
    with django_assert_max_num_queries(8):
        assert len(services.plan_deliveries(today)) == 10


def test_a_rerun_of_the_plan_leaves_a_delivery_to_its_retry(wecom, on_wecom, due):
    wecom.fail("/cgi-bin/message/send", status=503)
    digest_id, urgent_id = services.plan_deliveries(due.today)
    with pytest.raises(Exception, match="HTTP 503"):
        services.send_delivery(digest_id)
    assert services.plan_deliveries(due.today) == [urgent_id]
