import ast
import gettext
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def read_po(path):
    """{msgid: msgstr} of a .po file; plural entries keyed by their singular form."""
    entries, current, key = {}, {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current.get("msgid"):
                msgstr = current.get("msgstr", current.get("msgstr[0]", ""))
                # A fuzzy entry is a guess gettext will not use: it counts as untranslated.
                entries[current["msgid"]] = "" if current.get("fuzzy") else msgstr
            current, key = {}, None
        elif line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return entries


def test_every_string_has_a_chinese_translation():
    untranslated = [msgid for msgid, msgstr in read_po(LOCALE / "django.po").items() if not msgstr]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog
    compiled = {k if isinstance(k, str) else k[0]: v for k, v in catalogue.items() if k}
    for msgid, msgstr in read_po(LOCALE / "django.po").items():
        assert compiled.get(msgid, "") == msgstr, f"run `make messages`: {msgid!r} is stale"


def test_the_interface_speaks_chinese_by_default_and_english_on_request():
    with translation.override("zh-hans"):
        assert translation.gettext("My day") == "我的一天"
    with translation.override("en"):
        assert translation.gettext("My day") == "My day"
