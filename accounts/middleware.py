from django.conf import settings
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
