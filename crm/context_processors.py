from django.conf import settings

# What the language switch shows: each language in its own name, never translated
# (``{% get_available_languages %}`` translates them: English read 英语 in Chinese).
OWN_NAMES = {"zh-hans": "中文", "en": "English"}


def language_choices(request):
    return {
        "language_choices": [(code, OWN_NAMES.get(code, name)) for code, name in settings.LANGUAGES]
    }
