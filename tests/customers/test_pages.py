import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.templatetags.crm import money
from customers.filters import search
from customers.models import Assignment, Customer, Holding, SensitiveAccess
from customers.views import MORE_FILTERS
from tests.conftest import CUSTOMER_SCOPE, PERSONAS, count_queries
from tests.factories import BalanceFactory, CustomerFactory, HoldingFactory, VisitFactory

pytestmark = pytest.mark.django_db


def names_on(response, book):
    shown = {c.pk for c in response.context["page_obj"]}
    return {key for key, customer in vars(book).items() if customer.pk in shown}


# --- the access rule ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_to_matches_the_rule(personas, book, persona):
    visible = set(
        Customer.objects.visible_to(getattr(personas, persona)).values_list("pk", flat=True)
    )
    assert {k for k, c in vars(book).items() if c.pk in visible} == CUSTOMER_SCOPE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_the_scope_and_never_archived(client_for, book, persona):
    response = client_for(persona).get(reverse("customers-list"))
    assert response.status_code == 200
    assert names_on(response, book) == CUSTOMER_SCOPE[persona] - {"archived"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_is_404_outside_the_scope(client_for, book, persona):
    client = client_for(persona)
    for key, customer in vars(book).items():
        status = client.get(reverse("customers-detail", args=[customer.pk])).status_code
        assert status == (200 if key in CUSTOMER_SCOPE[persona] else 404), key


@pytest.mark.parametrize("persona", PERSONAS)
def test_search_stays_within_the_scope(client_for, book, persona):
    # Every book customer's number starts with T: a search for "T" is a search for all.
    response = client_for(persona).get(reverse("customers-list"), {"q": "T"})
    assert names_on(response, book) == CUSTOMER_SCOPE[persona] - {"archived"}


@pytest.mark.parametrize("q", ["\x00", "\x00张", "T\x07", "\x7f"])
def test_control_characters_in_a_search_are_ignored_not_a_server_error(client_for, book, q):
    # PostgreSQL refuses a NUL in a query parameter: it must never reach the database.
    assert client_for("rm").get(reverse("customers-list"), {"q": q}).status_code == 200
    printable = "".join(ch for ch in q if ch.isprintable())
    everyone = Customer.objects.all()
    assert set(search(everyone, q)) == set(search(everyone, printable))


@pytest.mark.parametrize("persona", PERSONAS)
def test_export_stays_within_the_scope_and_is_recorded(client_for, book, persona, personas):
    response = client_for(persona).get(reverse("customers-export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    expected = {getattr(book, k).customer_no for k in CUSTOMER_SCOPE[persona] - {"archived"}}
    assert numbers == expected
    record = SensitiveAccess.objects.get(action="export")
    assert record.user == getattr(personas, persona) and record.detail["rows"] == len(expected)


def test_admin_sees_archived_customers_on_request(client_for, book):
    response = client_for("admin").get(reverse("customers-list"), {"archived": "1"})
    assert names_on(response, book) == {"archived"}


def test_rm_cannot_ask_for_archived_customers(client_for, book):
    response = client_for("rm").get(reverse("customers-list"), {"archived": "1"})
    assert "archived" not in names_on(response, book)


# --- masking ---------------------------------------------------------------------------------


def test_lists_mask_and_the_detail_page_reveals_and_records(client_for, book, personas):
    client = client_for("rm")
    listing = client.get(reverse("customers-list")).content.decode()
    assert book.mine.masked_id_number in listing and book.mine.id_number not in listing
    assert book.mine.masked_mobile in listing and book.mine.mobile not in listing
    detail = client.get(reverse("customers-detail", args=[book.mine.pk])).content.decode()
    assert book.mine.id_number in detail and book.mine.mobile in detail
    assert (
        SensitiveAccess.objects.filter(user=personas.rm, customer=book.mine, action="view").count()
        == 1
    )


@pytest.mark.parametrize(("persona", "full"), [("rm", False), ("head", False), ("admin", True)])
def test_exports_are_masked_unless_the_role_may_see_full_values(client_for, book, persona, full):
    response = client_for(persona).get(reverse("customers-export"), {"q": book.mine.customer_no})
    row = list(
        load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True)
    )[0]
    assert (row[4], row[5]) == (
        (book.mine.id_number, book.mine.mobile)
        if full
        else (book.mine.masked_id_number, book.mine.masked_mobile)
    )


def test_exported_cells_are_never_formulas(client_for, personas):
    CustomerFactory(name='=HYPERLINK("http://x")', primary_rm=personas.rm, customer_no="T1")
    response = client_for("rm").get(reverse("customers-export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert cells[0].value.startswith("=HYPERLINK")


# --- filters -------------------------------------------------------------------------------


def test_list_filters_by_birthday_and_maturity(client_for, personas):
    today = timezone.localdate()
    soon = CustomerFactory(
        primary_rm=personas.rm, birth_date=(today + timedelta(days=3)).replace(year=1980)
    )
    later = CustomerFactory(
        primary_rm=personas.rm, birth_date=(today + timedelta(days=40)).replace(year=1980)
    )
    HoldingFactory(customer=later, matures_on=today + timedelta(days=10))
    HoldingFactory(customer=soon, matures_on=today + timedelta(days=100))
    client = client_for("rm")
    by_birthday = client.get(reverse("customers-list"), {"birthday_within": 7})
    assert [c.pk for c in by_birthday.context["page_obj"]] == [soon.pk]
    maturing = client.get(reverse("customers-list"), {"maturing_within": 30})
    assert [c.pk for c in maturing.context["page_obj"]] == [later.pk]


def test_bad_filter_values_change_nothing_and_say_so(client_for, book):
    response = client_for("rm").get(reverse("customers-list"), {"birthday_within": "-5"})
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == []
    assert response.context["filter"].errors


def test_htmx_search_answers_with_the_results_fragment(client_for, book):
    response = client_for("rm").get(reverse("customers-list"), {"q": "zw"}, HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "customers/_results.html"
    assert [c.pk for c in response.context["page_obj"]] == [book.mine.pk]


# --- query budgets -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rm", "head", "admin"])
def test_list_query_count_is_the_same_at_50_and_500_customers(client_for, personas, persona):
    client = client_for(persona)
    CustomerFactory.create_batch(50, primary_rm=personas.rm)
    few = count_queries(client, reverse("customers-list"))
    CustomerFactory.create_batch(450, primary_rm=personas.rm)
    # The filter choices come from the small lookup tables (branches, tiers, RMs, tags).
    assert count_queries(client, reverse("customers-list")) == few <= 14


def test_detail_query_count_does_not_grow_with_the_file(client_for, personas, book):
    client = client_for("rm")
    url = reverse("customers-detail", args=[book.mine.pk])
    few = count_queries(client, url)
    for n in range(12):
        BalanceFactory(
            customer=book.mine, month=timezone.localdate().replace(day=1) - timedelta(days=31 * n)
        )
    HoldingFactory.create_batch(20, customer=book.mine)
    # 19 for the file itself, and what the modules' panels add (watchlists: 2,
    # opportunities: 2, service: 4).
    assert count_queries(client, url) == few <= 27


# --- editing -----------------------------------------------------------------------------


def customer_data(**overrides):
    data = {
        "customer_no": "N0001",
        "kind": "individual",
        "name": "王小明",
        "gender": "M",
        "birth_date": "1985-06-01",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
        "mobile": "138 1234 5678",
        "lifecycle_stage": "new",
        "tag_names": "高净值，代发工资",
    }
    data.update(overrides)
    return data


def test_rm_creates_a_customer_of_their_own(client_for, personas):
    response = client_for("rm").post(reverse("customers-create"), customer_data())
    customer = Customer.objects.get(customer_no="N0001")
    assert response.status_code == 302
    assert customer.primary_rm == personas.rm and customer.branch == personas.rm.branch
    assert customer.mobile == "13812345678" and customer.name_initials == "wxm"
    assert sorted(t.name for t in customer.tags.all()) == ["代发工资", "高净值"]
    assert Assignment.objects.get(customer=customer).rm == personas.rm


def test_head_assigns_a_customer_to_a_team_member(client_for, personas):
    data = customer_data(primary_rm=personas.colleague.pk, assistants=[personas.rm.pk])
    assert client_for("head").post(reverse("customers-create"), data).status_code == 302
    customer = Customer.objects.get(customer_no="N0001")
    assert customer.primary_rm == personas.colleague
    assert list(customer.assistants.values_list("rm__username", flat=True)) == ["rm"]


def test_head_cannot_assign_to_an_rm_of_another_branch(client_for, personas):
    data = customer_data(primary_rm=personas.other_rm.pk)
    response = client_for("head").post(reverse("customers-create"), data)
    assert "primary_rm" in response.context["form"].errors
    assert not Customer.objects.filter(customer_no="N0001").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"mobile": "12345"}, "mobile"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"kind": "corporate"}, "id_type"),
        ({"name": ""}, "name"),
        ({"customer_no": "T-TAKEN"}, "customer_no"),
    ],
)
def test_bad_customer_input_is_refused_and_saves_nothing(client_for, personas, overrides, field):
    CustomerFactory(customer_no="T-TAKEN", primary_rm=personas.other_rm)
    before = Customer.objects.count()
    response = client_for("rm").post(reverse("customers-create"), customer_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Customer.objects.count() == before


def test_a_duplicate_id_number_is_refused_without_saying_whose(client_for, personas):
    other = CustomerFactory(
        primary_rm=personas.other_rm, id_number="11010519491231002X", name="秘密客户"
    )
    response = client_for("rm").post(reverse("customers-create"), customer_data())
    errors = " ".join(response.context["form"].errors["id_number"])
    assert other.name not in errors and "other_rm" not in errors and other.customer_no not in errors
    assert not Customer.objects.filter(customer_no="N0001").exists()


def test_a_shared_mobile_is_warned_about_but_saved(client_for, personas):
    CustomerFactory(primary_rm=personas.other_rm, mobile="13812345678")
    response = client_for("rm").post(reverse("customers-create"), customer_data(), follow=True)
    assert Customer.objects.filter(customer_no="N0001").exists()
    assert any(m.level_tag == "warning" for m in response.context["messages"])


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("rm", "mine", 200),
        ("rm", "assisted", 403),
        ("rm", "other", 404),
        ("colleague", "mine", 404),
        ("head", "assisted", 200),
        ("other_rm", "mine", 404),
        ("admin", "other", 200),
        ("admin", "archived", 403),
    ],
)
def test_who_may_edit_a_customer(client_for, book, persona, target, status):
    url = reverse("customers-edit", args=[getattr(book, target).pk])
    assert client_for(persona).get(url).status_code == status


def test_editing_keeps_a_change_history(client_for, book):
    data = customer_data(
        customer_no=book.mine.customer_no, id_number=book.mine.id_number, name="张伟伟"
    )
    client_for("rm").post(reverse("customers-edit", args=[book.mine.pk]), data)
    book.mine.refresh_from_db()
    assert book.mine.name == "张伟伟" and book.mine.customer_no.startswith("T")
    assert book.mine.history.count() >= 2


# --- archive, restore, delete ------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("rm", 403), ("head", 302), ("admin", 302), ("other_rm", 404)]
)
def test_heads_and_admins_archive(client_for, book, persona, status):
    response = client_for(persona).post(reverse("customers-archive", args=[book.mine.pk]))
    assert response.status_code == status
    book.mine.refresh_from_db()
    assert book.mine.is_archived == (status == 302)


@pytest.mark.parametrize(("persona", "status"), [("rm", 404), ("head", 404), ("admin", 302)])
def test_only_admins_restore(client_for, book, persona, status):
    assert (
        client_for(persona).post(reverse("customers-restore", args=[book.archived.pk])).status_code
        == status
    )


def test_delete_needs_the_customer_number_and_says_what_goes(client_for, book):
    HoldingFactory(customer=book.mine)
    client = client_for("admin")
    url = reverse("customers-delete", args=[book.mine.pk])
    page = client.get(url)
    assert page.context["counts"]["holdings"] == 1
    wrong = client.post(url, {"confirm": "nope"})
    assert wrong.context["error"] and Customer.objects.filter(pk=book.mine.pk).exists()
    client.post(url, {"confirm": book.mine.customer_no})
    assert not Customer.objects.filter(pk=book.mine.pk).exists()
    assert not Holding.objects.filter(customer_id=book.mine.pk).exists()
    assert Customer.history.filter(id=book.mine.pk, history_type="-").exists()


@pytest.mark.parametrize("persona", ["rm", "head"])
def test_only_admins_delete(client_for, book, persona):
    assert (
        client_for(persona).get(reverse("customers-delete", args=[book.mine.pk])).status_code == 403
    )


def test_relations_read_both_ways_with_links_only_in_scope(client_for, book):
    from customers.models import Relation

    Relation.objects.create(from_customer=book.mine, to_customer=book.other, kind="supplier")
    Relation.objects.create(from_customer=book.assisted, to_customer=book.mine, kind="spouse")
    page = client_for("rm").get(reverse("customers-detail", args=[book.mine.pk]))
    relations = {(r["label"], r["other"].name, r["linked"]) for r in page.context["relations"]}
    assert relations == {("采购方", "仇英", False), ("配偶", "单丽", True)}
    other_side = client_for("other_rm").get(reverse("customers-detail", args=[book.other.pk]))
    assert [(r["label"], r["linked"]) for r in other_side.context["relations"]] == [
        ("供应商", False)
    ]


@pytest.mark.parametrize("sort", ["", "name", "customer_no", "updated"])
def test_an_rms_pages_read_in_two_halves_match_the_plain_query(personas, sort):
    """Customer.page_slice (primary and assisted customers read apart, then merged) gives
    exactly the rows and order of the plain query, on every page and sort."""
    from decimal import Decimal

    from django.test import RequestFactory

    from customers.filters import CustomerFilter
    from customers.models import CustomerAssistant

    rm, colleague = personas.rm, personas.colleague
    for n in range(9):
        CustomerFactory(primary_rm=rm, monthly_avg_assets=Decimal(1000 * (n % 4)))
    for n in range(7):
        helped = CustomerFactory(primary_rm=colleague, monthly_avg_assets=Decimal(1000 * (n % 3)))
        CustomerAssistant.objects.create(customer=helped, rm=rm)
    # An assistant row left behind on the RM's own customer must not show it twice.
    own = Customer.objects.filter(primary_rm=rm).first()
    CustomerAssistant.objects.create(customer=own, rm=rm)

    request = RequestFactory().get("/customers/", {"sort": sort} if sort else {})
    request.user = rm
    queryset = CustomerFilter(
        request.GET, queryset=Customer.objects.visible_to(rm).active(), request=request
    ).qs
    assert queryset._book is not None
    everyone = list(queryset)
    assert len(everyone) == len({c.pk for c in everyone}) == 16
    for offset in range(0, 18, 4):
        assert queryset.page_slice(offset, 5) == everyone[offset : offset + 5]


def test_each_half_of_an_rms_page_states_only_its_own_side_of_the_scope(personas):
    """The primary half reads the (primary_rm, assets) index alone: no "primary OR
    assisting" left in it; in the default order each half stops at the page's end where
    the database allows it (PostgreSQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.models import CustomerAssistant

    rm = personas.rm
    CustomerFactory(primary_rm=rm)
    helped = CustomerFactory(primary_rm=personas.colleague)
    CustomerAssistant.objects.create(customer=helped, rm=rm)
    queryset = (
        Customer.objects.visible_to(rm)
        .filter(name__startswith="")
        .order_by("-monthly_avg_assets", "-id")
    )
    with CaptureQueriesContext(connection) as queries:
        assert {c.pk for c in queryset.page_slice(0, 50)} == {
            helped.pk,
            *rm.primary_customers.values_list("pk", flat=True),
        }
    union = next(q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"])
    primary_half = union.split("UNION ALL")[0]
    assert " OR " not in primary_half
    assert f'"primary_rm_id" = {rm.pk}' in primary_half
    if connection.features.supports_slicing_ordering_in_compound:
        assert "LIMIT 50" in primary_half


def test_the_archive_button_says_archive_and_only_opens_a_confirmation(client_for, book):
    client = client_for("head")
    page = client.get(reverse("customers-detail", args=[book.mine.pk])).content.decode()
    url = reverse("customers-archive", args=[book.mine.pk])
    # A link to the confirmation, not a form that archives: one click changes nothing.
    assert f'href="{url}" data-testid="archive">归档</a>' in page
    assert f'action="{url}"' not in page
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert 'data-testid="confirm-archive"' in confirm.content.decode()
    book.mine.refresh_from_db()
    assert not book.mine.is_archived


@pytest.mark.parametrize(
    ("persona", "where"),
    [("head", "只有管理员可以恢复：在“客户档案 › 已归档”中"), ("admin", "“客户档案 › 已归档”")],
)
def test_after_archiving_the_message_says_where_to_restore(client_for, book, persona, where):
    url = reverse("customers-archive", args=[book.mine.pk])
    response = client_for(persona).post(url, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert where in text and book.mine.name in text
    book.mine.refresh_from_db()
    assert book.mine.is_archived


# --- how amounts and filters are shown ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (29112850, "yuan", "29,112,850.00"),
        (Decimal("1234.5"), "yuan", "1,234.50"),
        (Decimal("0.005"), "yuan", "0.01"),  # half up, as statements round
        (Decimal("-0.001"), "yuan", "0.00"),
        (29112850, "wan", "2,911.29"),
        (Decimal("5000"), "wan", "0.50"),
        (None, "yuan", "—"),
    ],
)
def test_money_is_one_format_thousands_and_two_decimals(value, unit, shown):
    assert money(value, unit) == shown


def test_list_and_360_show_amounts_in_one_format_with_the_unit_in_the_heading(client_for, personas):
    customer = CustomerFactory(primary_rm=personas.rm, monthly_avg_assets=Decimal("1234567.89"))
    HoldingFactory(customer=customer, amount=Decimal("98765.4"))
    HoldingFactory(customer=customer, amount=Decimal("1000"), currency="USD")
    BalanceFactory(customer=customer, month=timezone.localdate().replace(day=1))
    client = client_for("rm")
    listing = client.get(reverse("customers-list")).content.decode()
    assert "月日均金融资产（万元）" in listing and ">123.46<" in listing
    detail = client.get(reverse("customers-detail", args=[customer.pk])).content.decode()
    assert "金额（元）" in detail and ">98,765.40<" in detail
    assert "1,000.00 USD" in detail  # a foreign-currency holding names its currency
    assert "月日均金融资产（万元）: <strong" in detail and ">123.46</strong>" in detail
    HoldingFactory(
        customer=customer,
        amount=Decimal("50000"),
        matures_on=timezone.localdate() + timedelta(days=20),
    )
    visit = VisitFactory(customer=customer)
    brief = client.get(reverse("visits-brief", args=[visit.pk])).content.decode()
    assert "月日均金融资产（万元）: 123.46" in brief and "50,000.00 CNY" in brief


def test_the_filter_panel_says_all_and_styles_every_control(client_for, book):
    page = client_for("rm").get(reverse("customers-list")).content.decode()
    assert "---------" not in page
    form = client_for("rm").get(reverse("customers-list")).context["filter"].form
    for name in MORE_FILTERS + ["asset_tier", "star_level"]:
        with_choices = getattr(form.fields[name], "choices", None)
        if with_choices is not None:
            assert str(list(with_choices)[0][1]) == "全部", name
        css = form.fields[name].widget.attrs["class"]
        assert css in {"form-select", "form-control"}, name
    assert '<select name="asset_tier" class="form-select" id="id_asset_tier">' in page
    assert '<option value="" selected>全部</option>' in page
