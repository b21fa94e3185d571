"""Channels: the ways a delivery reaches a user besides the inbox and the email digest.

A channel is an object with

- ``code`` (stored on each Delivery) and ``label`` (shown on the Preferences page);
- ``preference_field``: the boolean on User by which a user chooses it, and ``user_filter``:
  what else a user needs (a Q on User, e.g. a WeCom user id);
- ``is_configured() -> bool``: whether it is on at all (credentials set); a channel that is
  off is never planned; ``configured_for(user) -> bool``: whether it can reach this user (a
  webhook for their branch); the Preferences page says when it cannot;
- ``send(delivery, text) -> None``: sends, or raises ``RetryableError`` (try again later:
  the network, HTTP 5xx, "system busy", rate limits) or ``FinalError`` (trying again cannot
  help: an unknown user id, a wrong secret).
- ``private``: whether only the user reads it. A shared channel (a group chat) is only told
  how many reminders wait, never which customers they are about, because the group's other
  members may not see those customers.

An SMS gateway plugs in the same way: a class with these members, a boolean on User, and a
line in ``CHANNELS``.

WeCom (企业微信) is spoken with ``urllib`` from the standard library: two small JSON calls
need no extra dependency.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# WeCom refuses text longer than 2048 bytes.
MAX_TEXT_BYTES = 2000
# errcodes after which the same request may succeed later: system busy, rate limits.
RETRYABLE_ERRCODES = {-1, 45009, 45033}
# errcodes that mean the access token is no longer good: fetch a new one and resend once.
TOKEN_ERRCODES = {40014, 42001}


class DeliveryError(Exception):
    """A send that did not happen; ``str(error)`` is kept on the delivery."""


class RetryableError(DeliveryError):
    """The same send may succeed later."""


class FinalError(DeliveryError):
    """Sending again cannot help."""


def fit(text: str) -> str:
    """Cut a text to what WeCom accepts, on a character boundary."""
    data = text.encode()
    if len(data) <= MAX_TEXT_BYTES:
        return text
    return data[: MAX_TEXT_BYTES - 3].decode(errors="ignore") + "…"


def _call(url: str, payload: dict | None = None) -> dict:
    """One HTTP call that answers JSON. Errors name the path only: the query string holds the
    secret or the token, which must not end up in a delivery's error."""
    path = urllib.parse.urlsplit(url).path
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 (http(s) only: the URL comes from settings)
        url,
        data=data,
        method="GET" if payload is None else "POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as error:
        message = f"HTTP {error.code} from {path}"
        if error.code >= 500 or error.code == 429:
            raise RetryableError(message) from error
        raise FinalError(message) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RetryableError(f"{path}: {reason}") from error
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise RetryableError(f"{path} did not answer JSON") from error
    if not isinstance(answer, dict):
        raise RetryableError(f"{path} did not answer a JSON object")
    return answer


def _raise_for_errcode(answer: dict, path: str) -> None:
    errcode = answer.get("errcode", 0)
    if errcode == 0:
        return
    message = f"{path}: errcode {errcode} {answer.get('errmsg', '')}".strip()
    if errcode in RETRYABLE_ERRCODES:
        raise RetryableError(message)
    raise FinalError(message)


class WeComApp:
    """Application messages of a self-built WeCom app (自建应用), to one user's WeCom id.

    Rule: the access token is cached until shortly before ``expires_in`` ends; when the API
    answers that it expired (42001) or is invalid (40014), a new one is fetched and the
    message is sent once more, never more.
    """

    code = "wecom"
    label = _("WeCom message")
    preference_field = "remind_by_wecom"
    user_filter = ~Q(wecom_userid="")
    private = True

    @staticmethod
    def is_configured() -> bool:
        return bool(settings.WECOM_CORP_ID and settings.WECOM_AGENT_ID and settings.WECOM_SECRET)

    def configured_for(self, user) -> bool:
        return user.wecom_app_available

    def _url(self, path: str, **query) -> str:
        return f"{settings.WECOM_API_BASE.rstrip('/')}{path}?{urllib.parse.urlencode(query)}"

    @staticmethod
    def _cache_key() -> str:
        return f"notifications:wecom-token:{settings.WECOM_CORP_ID}:{settings.WECOM_AGENT_ID}"

    def access_token(self, *, refresh: bool = False) -> str:
        """The app's access token: from the cache, or fetched (and cached) when there is none
        or ``refresh`` is asked for."""
        key = self._cache_key()
        if not refresh:
            token = cache.get(key)
            if token:
                return token
        answer = _call(
            self._url(
                "/cgi-bin/gettoken", corpid=settings.WECOM_CORP_ID, corpsecret=settings.WECOM_SECRET
            )
        )
        _raise_for_errcode(answer, "/cgi-bin/gettoken")
        token = answer.get("access_token")
        if not token:
            raise RetryableError("/cgi-bin/gettoken answered no access_token")
        expires_in = int(answer.get("expires_in") or 7200)
        # Stop using it a little early, so a message is not sent with a token about to expire.
        cache.set(key, token, timeout=max(expires_in - min(300, expires_in // 10), 1))
        return token

    def send(self, delivery, text: str) -> None:
        if not self.is_configured():
            raise FinalError(
                "WeCom is not configured (WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET)"
            )
        userid = delivery.user.wecom_userid
        if not userid:
            raise FinalError("the user has no WeCom user id")
        payload = {
            "touser": userid,
            "msgtype": "text",
            "agentid": int(settings.WECOM_AGENT_ID),
            "text": {"content": fit(text)},
        }
        path = "/cgi-bin/message/send"
        answer = _call(self._url(path, access_token=self.access_token()), payload)
        if answer.get("errcode") in TOKEN_ERRCODES:
            token = self.access_token(refresh=True)
            answer = _call(self._url(path, access_token=token), payload)
            if answer.get("errcode") in TOKEN_ERRCODES:
                # Refused with a token just fetched: a later attempt may fare better.
                raise RetryableError(f"{path}: errcode {answer['errcode']} with a new token")
        _raise_for_errcode(answer, path)
        if answer.get("invaliduser"):
            raise FinalError(f"WeCom does not know the user id {answer['invaliduser']}")


class WeComGroupRobot:
    """A team group's robot (群机器人): the message is posted in the group, mentioning the
    user. The webhook is the nearest one up the user's branch tree, else
    ``WECOM_ROBOT_WEBHOOK``."""

    code = "wecom_robot"
    label = _("WeCom team group")
    preference_field = "remind_by_wecom_robot"
    user_filter = Q()
    private = False

    @staticmethod
    def is_configured() -> bool:
        from accounts.models import Branch

        return bool(settings.WECOM_ROBOT_WEBHOOK) or (
            Branch.objects.exclude(wecom_robot_webhook="").exists()
        )

    @staticmethod
    def webhook_for(user) -> str:
        return user.branch.robot_webhook() if user.branch_id else settings.WECOM_ROBOT_WEBHOOK

    def configured_for(self, user) -> bool:
        return user.wecom_robot_available

    def send(self, delivery, text: str) -> None:
        url = self.webhook_for(delivery.user)
        if not url:
            raise FinalError("no WeCom group robot webhook for the user's branch")
        content = {"content": fit(text)}
        if delivery.user.wecom_userid:
            content["mentioned_list"] = [delivery.user.wecom_userid]
        path = urllib.parse.urlsplit(url).path
        _raise_for_errcode(_call(url, {"msgtype": "text", "text": content}), path)


CHANNELS = {channel.code: channel for channel in (WeComApp(), WeComGroupRobot())}
