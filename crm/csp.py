"""Content-Security-Policy: scripts only from the app's own static files.

No page carries an inline ``<script>`` or an inline event handler (``onclick=…``): behaviour
lives in ``static/js/`` and is attached by ``data-`` attributes (see ``static/js/shell.js``).
Inline ``style=`` attributes remain allowed (htmx and a few layouts set them); they cannot run
code. ``CSP_REPORT_ONLY=true`` sends the policy as report-only (to try a change first).
"""

from django.conf import settings

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_header() -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in POLICY.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.value = policy_header()

    def __call__(self, request):
        response = self.get_response(request)
        name = (
            "Content-Security-Policy-Report-Only"
            if settings.CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        response.headers.setdefault(name, self.value)
        return response
