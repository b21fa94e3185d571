"""A crawl of every page a persona can reach, in Chinese and in English.

Each persona (an RM, a branch head, an admin) opens the home page, the pages it links to (the
navigation and the user menu), the pages those link to, and one level more (a customer, a
visit and its brief; the Django admin index, its changelists and a change form). Every
internal link found on them must answer below 400. One page of each shape is opened
(``/customers/12/?page=2`` stands for ``/customers/13/?page=3``), so the crawl does not grow
with the rows; the Django admin's own sorting, filtering and pop-up links are left out.
Chinese pages must not show a string of the catalogues untranslated, nor a sentence of plain
English; English pages must not show Chinese, except customer data (the values stored in the
database) and the names of the languages.
"""

import re
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils.translation import trans_real

pytestmark = pytest.mark.django_db

# "visitor" is someone not logged in: the login page and what it links to.
PERSONAS = ["visitor", "rm1", "head1", "admin"]

# Links that are not pages to read: files, feeds, the API, and links that act.
NOT_READ = ("/api/", "/static/", "/media/", "/visits/feed/", "/customers/export/")
NOT_OPENED = ("/accounts/logout/", "/admin/logout/")
# The Django admin's own sorting, filtering and pop-up links are Django's, not ours.
ADMIN_VARIANT = re.compile(r"^/admin/.*\?")

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60]+")
ENGLISH_SENTENCE = re.compile(r"^[A-Za-z][a-z]+(?:[ ,'-]+[A-Za-z][a-z]*){1,}[.:?!]?$")
# Words every language shows as they are.
ALWAYS_LATIN = {"CRM", "API", "CNY", "Django", "OpenAPI", "Swagger UI", "English", "Excel"}
# English that third-party packages write without gettext, so no catalogue can translate it:
# django-celery-beat's admin (a field label and two read-only columns named after methods).
NOT_TRANSLATABLE = {
    "Task Name",
    "Task Name:",
    "Crontab translation:",
    "Human readable",
    "Human readable:",
}


class PageText(HTMLParser):
    """The visible text nodes, the user-facing attributes and the links of a page."""

    ATTRIBUTES = {"title", "placeholder", "aria-label"}

    def __init__(self):
        super().__init__()
        self.texts, self.links, self.skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self.skip += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in self.ATTRIBUTES & attrs.keys():
            self.add(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.add(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.add(data)

    def add(self, text):
        text = " ".join(text.split())
        if text:
            self.texts.append(text)


def translated_msgids():
    """English strings that have a Chinese translation in any catalogue Django loads."""
    catalog = trans_real.translation("zh-hans")._catalog
    msgids = set()
    for key, value in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04")[-1]  # a context is not part of what is shown
        if msgid and msgid != value and re.search("[A-Za-z]{2}", msgid) and "%" not in msgid:
            msgids.add(" ".join(msgid.split()))
    return msgids


def chinese_strings():
    """(the Chinese translations, the English msgids that quote Chinese examples)."""
    catalog = dict(trans_real.translation("zh-hans")._catalog.items())
    translations = {v for v in catalog.values() if isinstance(v, str) and CJK.search(v)}
    quoting = {k for k in catalog if isinstance(k, str) and CJK.search(k)}
    return translations, quoting


def data_values():
    """Every text stored in the database: names, addresses, notes, branch names, …"""
    values = set()
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for value in row:
                if isinstance(value, (list, dict)):
                    value = str(value)
                if value:
                    values.add(value)
    User = apps.get_model(settings.AUTH_USER_MODEL)
    values.update(user.get_full_name() for user in User.objects.all())
    values.update(name for _code, name in settings.LANGUAGES)
    # The import page lists the column headers a file may use, in Chinese and in English.
    values.update(header for column in import_columns() for header in column.headers)
    return values


def import_columns():
    from customers.imports import BALANCE_COLUMNS, CUSTOMER_COLUMNS, HOLDING_COLUMNS
    from watchlists.imports import RISK_COLUMNS

    return CUSTOMER_COLUMNS + HOLDING_COLUMNS + BALANCE_COLUMNS + RISK_COLUMNS


def shape(url):
    """``/customers/12/?page=2`` and ``/customers/13/?page=3`` have one shape."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+/", "/N/", parts.path)
    path = re.sub(r"/[0-9a-f]{16,}", "/H", path)
    names = sorted({name for name, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return path, tuple(names)


def internal(href, base):
    """The path and query of a link to this site, or None for anything else."""
    if href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    if urlsplit(href).scheme or urlsplit(href).netloc:
        return None
    return urljoin(base, href).split("#")[0]


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--customers", "30", "--seed", "5", stdout=StringIO())
    call_command("generate_reminders", stdout=StringIO())


def crawl(client, start="/"):
    """({url: (status, PageText or None)}, [(page, link)]) of the pages opened, read or not."""
    seen, shapes, found = {}, set(), []
    queue = [(start, 0)]
    while queue:
        url, depth = queue.pop(0)
        if url in seen or url.startswith(NOT_OPENED) or ADMIN_VARIANT.match(url):
            continue
        if shape(url) in shapes:
            continue
        shapes.add(shape(url))
        response = client.get(url)
        read = depth <= 3 and not url.startswith(NOT_READ)
        if not read or response.status_code != 200 or "html" not in response["Content-Type"]:
            seen[url] = (response.status_code, None)
            continue
        page = PageText()
        page.feed(response.content.decode())
        seen[url] = (response.status_code, page)
        for href in page.links:
            link = internal(href, url)
            if link and link not in seen:
                queue.append((link, depth + 1))
                found.append((url, link))
    return seen, found


def visit_as(client, username, language):
    from accounts.models import User

    if username == "visitor":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return crawl(client, start=reverse("accounts-login"))
    user = User.objects.get(username=username)
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return crawl(client)


def broken_links(pages, links):
    """{link: "status, linked from page"} of the internal links that do not answer."""
    return {
        link: f"{pages[link][0]}, linked from {page}"
        for page, link in links
        if link in pages and pages[link][0] >= 400
    }


@pytest.mark.parametrize("username", PERSONAS)
def test_every_page_answers_and_speaks_chinese(client, demo, username):
    pages, links = visit_as(client, username, "zh-hans")
    english = translated_msgids()
    data = data_values()
    untranslated = {}
    for url, (_status, page) in pages.items():
        for text in page.texts if page else ():
            if text in ALWAYS_LATIN or text in NOT_TRANSLATABLE or text in data:
                continue
            if text in english or ENGLISH_SENTENCE.match(text):
                untranslated.setdefault(text, url)
    assert broken_links(pages, links) == {}
    assert untranslated == {}


@pytest.mark.parametrize("username", PERSONAS)
def test_every_page_answers_and_speaks_english(client, demo, username):
    pages, links = visit_as(client, username, "en")
    data = data_values()
    ui, quoting = chinese_strings()
    blob = "\n".join(data | quoting)
    chinese = {}
    for url, (_status, page) in pages.items():
        for text in page.texts if page else ():
            if text in data:
                continue
            if text in ui or any(run not in blob for run in CJK.findall(text)):
                chinese.setdefault(text, url)
    assert broken_links(pages, links) == {}
    assert chinese == {}
