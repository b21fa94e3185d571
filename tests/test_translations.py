import ast
import gettext
import re
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def read_po(path):
    """{msgid: msgstr} of a .po file; plural entries keyed by their singular form.

    An entry with a context is keyed as gettext keys it: ``context\x04msgid``.
    """
    entries, current, key = {}, {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current.get("msgid"):
                msgstr = current.get("msgstr", current.get("msgstr[0]", ""))
                msgid = current["msgid"]
                if "msgctxt" in current:
                    msgid = f"{current['msgctxt']}\x04{msgid}"
                # A fuzzy entry is a guess gettext will not use: it counts as untranslated.
                entries[msgid] = "" if current.get("fuzzy") else msgstr
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


def glossary():
    """(English terms, wrong variants) of each row of locale/GLOSSARY.md."""
    rows = []
    path = LOCALE.parent.parent / "GLOSSARY.md"
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("English", "") or set(cells[0]) <= {"-"}:
            continue
        english, _chinese, wrong = cells
        terms = [term.strip() for term in re.sub(r"\(.*?\)", "", english).split("/")]
        variants = [v.strip() for v in wrong.split("—")[0].split("、") if v.strip()]
        rows.append((terms, variants))
    return rows


def test_the_glossary_is_followed():
    rows = glossary()
    assert any("RM" in terms for terms, _variants in rows)
    wrong = []
    for key, msgstr in read_po(LOCALE / "django.po").items():
        msgid = key.split("\x04")[-1]
        for terms, variants in rows:
            said = any(re.search(rf"\b{re.escape(t)}", msgid, re.IGNORECASE) for t in terms)
            wrong += [(msgid, msgstr, v) for v in variants if said and v in msgstr]
    assert wrong == []


def test_active_is_said_one_way_for_each_meaning():
    from customers.models import Customer, Holding

    with translation.override("zh-hans"):
        assert str(Customer.Lifecycle.ACTIVE.label) == "活跃"
        assert str(Holding.Status.ACTIVE.label) == "持有中"
        assert translation.gettext("Active") == "启用"  # a user account
    with translation.override("en"):
        assert str(Customer.Lifecycle.ACTIVE.label) == "Active"
        assert str(Holding.Status.ACTIVE.label) == "Active"


def test_every_app_and_model_of_the_django_admin_has_a_chinese_name():
    from django.apps import apps
    from django.contrib import admin

    chinese = re.compile(r"[\u4e00-\u9fff]")
    english = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            app = apps.get_app_config(model._meta.app_label)
            for name in (app.verbose_name, model._meta.verbose_name_plural):
                if not chinese.search(str(name)):
                    english.append(str(name))
    assert english == []


def test_a_kind_says_what_it_is_a_kind_of():
    from customers.models import Customer, TierChange
    from reminders.models import LeadTime, Reminder

    def label(model):
        return str(model._meta.get_field("kind").verbose_name)

    with translation.override("zh-hans"):
        assert label(Customer) == "客户类型"
        assert label(Reminder) == label(LeadTime) == "提醒类型"
        assert label(TierChange) == "变动类型"


def test_active_customers_and_holdings_read_active_in_chinese_pages_and_exports(client, personas):
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    from tests.factories import CustomerFactory, HoldingFactory

    customer = CustomerFactory(primary_rm=personas.rm, lifecycle_stage="active")
    HoldingFactory(customer=customer, status="active")
    personas.rm.language = "zh-hans"
    personas.rm.save(update_fields=["language"])
    client.force_login(personas.rm)

    page = client.get(reverse("customers-detail", args=[customer.pk])).content.decode()
    assert "活跃" in page and "持有中" in page and "在职" not in page
    listed = client.get(reverse("customers-list"), {"lifecycle_stage": "active"}).content.decode()
    assert '<option value="active" selected>活跃</option>' in listed
    export = client.get(reverse("customers-export")).content
    cells = {c for row in load_workbook(io.BytesIO(export)).active.values for c in row}
    assert "活跃" in cells and "在职" not in cells
