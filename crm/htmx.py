"""htmx requests: which ones get a fragment, and keeping caches from mixing the two answers.

django-htmx's middleware reads the htmx headers (``request.htmx``); a page that answers a
fragment to htmx and a whole page otherwise must say so in ``Vary``, or the browser's cache
may hand the bare fragment back for the address bar's URL (the back button showed a table
without the page around it).
"""

from django.utils.cache import patch_vary_headers


def is_htmx(request) -> bool:
    """Whether to answer with a fragment rather than a whole page.

    A history restore (htmx asking again for a page it no longer holds in its history cache,
    after the back button) replaces the whole body: it gets the whole page.
    """
    htmx = getattr(request, "htmx", None)
    if htmx is None:  # a request built without the middleware (RequestFactory)
        headers = request.headers
        return (
            headers.get("HX-Request") == "true"
            and headers.get("HX-History-Restore-Request") != "true"
        )
    return bool(htmx) and not htmx.history_restore_request


class VaryOnHtmxMiddleware:
    """Adds ``Vary: HX-Request`` to every HTML answer, the pages that swap fragments included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ["HX-Request"])
        return response
