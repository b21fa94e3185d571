"""API throttling: a user may make so many requests a minute (``API_THROTTLE_RATE``).

Only logged-in callers are counted: without valid credentials the API answers 401 before
any throttle is asked (DRF checks permissions first), and a token cannot be guessed.

Past the rate the API answers 429 with the `throttled` error and a ``Retry-After`` header. The
counts live in a cache every web server shares (``API_THROTTLE_CACHE``), so the limit holds
for a user whichever server answers."""

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling


class _SharedCacheMixin:
    @property
    def cache(self):
        return caches[settings.API_THROTTLE_CACHE]


class PerUserRateThrottle(_SharedCacheMixin, throttling.UserRateThrottle):
    scope = "user"

    def get_rate(self):
        return settings.API_THROTTLE_RATE or None

    def allow_request(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
