from django.utils import translation
from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """Token authentication that answers in the user's preferred language.

    The language middleware runs before DRF authenticates a token, so it only knows session
    users; this switches to the token user's language once they are known.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            translation.activate(result[0].language)
        return result
