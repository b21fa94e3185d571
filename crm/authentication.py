from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from crm.observability import set_user_id


def token_expires_at(token):
    """When ``token`` stops working, or None when tokens do not expire (API_TOKEN_DAYS=0)."""
    if not settings.API_TOKEN_DAYS:
        return None
    return token.created + timedelta(days=settings.API_TOKEN_DAYS)


def token_expired(token, now=None) -> bool:
    expires_at = token_expires_at(token)
    return expires_at is not None and (now or timezone.now()) >= expires_at


class TokenAuthentication(authentication.TokenAuthentication):
    """Token authentication with tokens that expire ``API_TOKEN_DAYS`` after they were made,
    answering in the user's preferred language.

    The language middleware runs before DRF authenticates a token, so it only knows session
    users; this switches to the token user's language once they are known.
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                _("This API token has expired. Make a new one on the API token page.")
            )
        return user, token

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            translation.activate(result[0].language)
            set_user_id(result[0].pk)
        return result
