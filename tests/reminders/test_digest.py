import pytest
from django.core import mail
from django.utils import timezone

from reminders.models import Digest, Reminder
from reminders.services import digest_recipients, send_digest
from tests.reminders.test_inbox import due_today  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_one_digest_per_rm_with_text_and_html_in_their_language(personas, due_today):  # noqa: F811
    personas.rm.email = "rm@example.com"
    personas.rm.save()
    personas.colleague.email = "colleague@example.com"
    personas.colleague.language = "en"
    personas.colleague.save()
    today = timezone.localdate()
    assert set(digest_recipients(today).values_list("username", flat=True)) == {"rm", "colleague"}
    assert send_digest(personas.rm, today) and send_digest(personas.colleague, today)
    assert len(mail.outbox) == 2
    chinese, english = mail.outbox
    assert "生日" in chinese.body and "提醒" in chinese.subject
    assert chinese.alternatives and "<table" in chinese.alternatives[0][0]
    assert "matures" in english.body and english.to == ["colleague@example.com"]
    assert not Reminder.objects.filter(emailed_at__isnull=True).exists()


def test_a_digest_is_sent_once_even_when_asked_twice(personas, due_today):  # noqa: F811
    personas.rm.email = "rm@example.com"
    personas.rm.save()
    today = timezone.localdate()
    assert send_digest(personas.rm, today) is True
    assert send_digest(personas.rm, today) is False
    assert len(mail.outbox) == 1 and Digest.objects.get().reminder_count == 1


def test_nothing_due_means_no_email(personas, db):
    personas.rm.email = "rm@example.com"
    personas.rm.save()
    assert send_digest(personas.rm, timezone.localdate()) is False
    assert mail.outbox == []


def test_a_failed_send_is_retried_without_duplicating(personas, due_today, monkeypatch):  # noqa: F811
    personas.rm.email = "rm@example.com"
    personas.rm.save()
    today = timezone.localdate()

    def broken(self, *args, **kwargs):
        raise OSError("smtp down")

    from django.core.mail import EmailMultiAlternatives

    original = EmailMultiAlternatives.send
    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    with pytest.raises(OSError):
        send_digest(personas.rm, today)
    assert Reminder.objects.filter(recipient=personas.rm, emailed_at__isnull=True).count() == 1
    monkeypatch.setattr(EmailMultiAlternatives, "send", original)
    assert send_digest(personas.rm, today) is True
    assert send_digest(personas.rm, today) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_one_digest(personas, book):
    import threading
    from datetime import timedelta

    from django.db import connection

    from reminders.services import generate_reminders
    from tests.factories import HoldingFactory

    personas.rm.email = "rm@example.com"
    personas.rm.save()
    today = timezone.localdate()
    HoldingFactory(customer=book.mine, matures_on=today + timedelta(days=7))
    generate_reminders(today)
    results = []

    def run():
        try:
            results.append(send_digest(personas.rm, today))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True] and len(mail.outbox) == 1


def test_a_handover_between_generation_and_digest_sends_to_the_new_rm(personas, due_today):  # noqa: F811
    from customers import services as customer_services
    from customers.models import Customer

    for user in (personas.rm, personas.colleague):
        user.email = f"{user.username}@example.com"
        user.save()
    today = timezone.localdate()
    mine = Customer.objects.get(reminders__recipient=personas.rm)
    customer_services.hand_over(
        actor=personas.head, customer_ids=[mine.pk], to_rm=personas.colleague, reason="调岗"
    )
    assert send_digest(personas.rm, today) is False
    assert send_digest(personas.colleague, today) is True
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["colleague@example.com"]
    assert "生日" in mail.outbox[0].body


@pytest.mark.parametrize("persona", ["rm", "head", "admin"])
def test_each_user_sets_their_own_preference(client_for, personas, persona):
    from django.urls import reverse

    client = client_for(persona)
    assert client.get(reverse("accounts-preferences")).status_code == 200
    client.post(reverse("accounts-preferences"), {"remind_assisted": "on"})
    user = getattr(personas, persona)
    user.refresh_from_db()
    assert user.remind_assisted is True


def test_the_preference_through_the_api(api_for, personas):
    api_for("rm").patch("/api/me/", {"remind_assisted": True}, format="json")
    personas.rm.refresh_from_db()
    assert personas.rm.remind_assisted
