import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import translation
from django.utils.cache import patch_vary_headers


def language_for(request):
    """The language a request is answered in.

    A logged-in user's saved preference wins; before login, the language cookie set by the
    switcher; otherwise the site default (Simplified Chinese). The browser's Accept-Language
    is deliberately ignored so every user starts in the bank's working language.
    """
    supported = dict(settings.LANGUAGES)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in supported:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in supported:
        return cookie
    return settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class SessionRefreshMiddleware:
    """Keeps a session alive while it is used, writing it at most once a minute.

    The idle limit (SESSION_IDLE_MINUTES) moves forward when the session is saved. Saving on
    every request (SESSION_SAVE_EVERY_REQUEST) costs an UPDATE and a commit per page view;
    refreshing once a minute keeps the limit to within a minute for a fraction of that.
    Comes after SessionMiddleware, so the session is saved on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a logged-in browser session: a token client has none to keep alive.
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(REFRESHED_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_KEY] = now  # marks the session modified: saved, expiry moved
        return response


REFRESHED_KEY = "_refreshed"
