from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from reminders.models import Reminder
from tests.conftest import PERSONAS
from tests.reminders.test_inbox import due_today  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
REQUIRED = {"id", "kind", "customer", "due_on", "recipient", "state", "message"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lists_only_their_own(api_for, due_today, persona):  # noqa: F811
    rows = api_for(persona).get("/api/reminders/").json()["results"]
    assert {r["recipient"] for r in rows} <= {persona}
    assert all(set(r) >= REQUIRED for r in rows)
    expected = Reminder.objects.filter(recipient__username=persona).count()
    assert len(rows) == expected


def test_filters_and_states(api_for, due_today):  # noqa: F811
    client = api_for("rm")
    assert len(client.get("/api/reminders/", {"kind": "birthday"}).json()["results"]) == 1
    assert client.get("/api/reminders/", {"kind": "maturity"}).json()["results"] == []
    assert len(client.get("/api/reminders/", {"state": "unread"}).json()["results"]) == 1
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.get("/api/reminders/", {"since": tomorrow}).json()["results"] == []
    assert client.get("/api/reminders/", {"state": "nope"}).status_code == 400


def test_mark_read_done_and_snooze(api_for, due_today):  # noqa: F811
    client = api_for("rm")
    pk = Reminder.objects.get(recipient__username="rm").pk
    assert (
        client.patch(f"/api/reminders/{pk}/", {"read": True}, format="json").json()["state"]
        == "read"
    )
    later = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert (
        client.patch(f"/api/reminders/{pk}/", {"snoozed_until": later}, format="json").json()[
            "state"
        ]
        == "snoozed"
    )
    assert (
        client.patch(f"/api/reminders/{pk}/", {"done": True}, format="json").json()["state"]
        == "done"
    )


def test_a_snooze_in_the_past_is_refused(api_for, due_today):  # noqa: F811
    pk = Reminder.objects.get(recipient__username="rm").pk
    response = api_for("rm").patch(
        f"/api/reminders/{pk}/", {"snoozed_until": "2020-01-01"}, format="json"
    )
    assert response.status_code == 400 and "snoozed_until" in response.json()["error"]["fields"]
    assert Reminder.objects.get(pk=pk).snoozed_until is None


@pytest.mark.parametrize("persona", ["colleague", "head", "other_rm", "admin"])
def test_nobody_else_reads_or_changes_a_reminder(api_for, due_today, persona):  # noqa: F811
    pk = Reminder.objects.get(recipient__username="rm").pk
    assert api_for(persona).get(f"/api/reminders/{pk}/").status_code == 404
    assert (
        api_for(persona).patch(f"/api/reminders/{pk}/", {"done": True}, format="json").status_code
        == 404
    )


def test_the_schema_still_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_a_snooze_never_undoes_a_done_that_landed_meanwhile(
    api_for,
    client_for,
    due_today,  # noqa: F811
    monkeypatch,
):
    """The page marks the reminder done between the API's read and its write."""
    from django.urls import reverse

    from reminders.api import ReminderViewSet

    read = ReminderViewSet.get_object

    def read_then_done_on_the_page(view):
        reminder = read(view)
        client_for("rm").post(reverse("reminders-done", args=[reminder.pk]))
        return reminder

    monkeypatch.setattr(ReminderViewSet, "get_object", read_then_done_on_the_page)
    pk = Reminder.objects.get(recipient__username="rm").pk
    later = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = api_for("rm").patch(f"/api/reminders/{pk}/", {"snoozed_until": later}, format="json")
    reminder = Reminder.objects.get(pk=pk)
    assert reminder.done_at is not None and reminder.snoozed_until is None
    assert response.status_code == 400
    assert "snoozed_until" in response.json()["error"]["fields"]


def test_a_done_reminder_cannot_be_snoozed_through_the_api(api_for, due_today):  # noqa: F811
    client = api_for("rm")
    pk = Reminder.objects.get(recipient__username="rm").pk
    client.patch(f"/api/reminders/{pk}/", {"done": True}, format="json")
    later = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.patch(f"/api/reminders/{pk}/", {"snoozed_until": later}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["snoozed_until"] == ["这条提醒已完成。"]
    reminder = Reminder.objects.get(pk=pk)
    assert reminder.state == "done" and reminder.snoozed_until is None


def test_snoozing_or_closing_twice_changes_nothing_more(api_for, due_today):  # noqa: F811
    client = api_for("rm")
    pk = Reminder.objects.get(recipient__username="rm").pk
    later = (timezone.localdate() + timedelta(days=2)).isoformat()
    for _ in range(2):
        response = client.patch(f"/api/reminders/{pk}/", {"snoozed_until": later}, format="json")
        assert response.status_code == 200 and response.json()["snoozed_until"] == later
    client.patch(f"/api/reminders/{pk}/", {"done": True}, format="json")
    first = Reminder.objects.get(pk=pk).done_at
    assert client.patch(f"/api/reminders/{pk}/", {"done": True}, format="json").status_code == 200
    assert Reminder.objects.get(pk=pk).done_at == first
