"""Pure rules: validators, masking, pinyin keys and birthday windows."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers import validators
from customers.birthdays import celebrated_on, lunar_mds_in, next_birthday, solar_mds_in
from customers.models import mask_id_number, mask_mobile
from customers.pinyin import name_keys


@pytest.mark.parametrize(
    "good", ["11010519491231002X", "11010519491231002x", " 440524188001010014 "]
)
def test_resident_ids_with_a_right_check_digit_pass(good):
    assert validators.normalise_resident_id(good) == good.strip().upper()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("110105194912310021", "id_check_digit"),
        ("11010519491231002", "id_format"),
        ("1101051949123100XX", "id_format"),
        ("", "id_format"),
    ],
)
def test_resident_ids_with_a_wrong_format_or_check_digit_fail(bad, code):
    with pytest.raises(ValidationError) as error:
        validators.normalise_resident_id(bad)
    assert error.value.code == code


def test_unified_social_credit_codes_are_checked():
    assert validators.normalise_uscc("91350100m000100y43") == "91350100M000100Y43"
    with pytest.raises(ValidationError):
        validators.normalise_uscc("91350100M000100Y44")
    with pytest.raises(ValidationError):
        validators.normalise_uscc("91350100M000100Y4")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
    ],
)
def test_mobiles_are_normalised(raw, clean):
    assert validators.normalise_mobile(raw) == clean


@pytest.mark.parametrize("bad", ["12812345678", "1381234567", "138123456789", "abc"])
def test_bad_mobiles_are_refused_in_chinese(bad, settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        validators.normalise_mobile(bad)
    assert "11 位" in error.value.messages[0]


def test_masking_keeps_the_region_and_the_last_four():
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number("") == mask_mobile("") == ""
    assert mask_id_number("E1234567") == "E*******"


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张伟", "zhangwei", "zw"),
        ("单伟", "shanwei", "sw"),
        ("曾国藩", "zengguofan", "zgf"),
        ("解放", "xiefang", "xf"),
        ("仇英", "qiuying", "qy"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("Tom Li", "tomli", "tl"),
    ],
)
def test_names_get_pinyin_keys_with_surnames_read_right(name, full, initials):
    assert name_keys(name) == (full, initials)


def test_company_names_are_not_read_as_surnames():
    assert name_keys("单县农业公司", person=False)[0].startswith("dan")


def test_birthday_windows_cross_the_year_end():
    mds = solar_mds_in(date(2026, 12, 30), date(2027, 1, 2))
    assert mds == {1230, 1231, 101, 102}


def test_29_february_is_celebrated_on_28_february_in_common_years():
    assert 229 in solar_mds_in(date(2027, 2, 28), date(2027, 2, 28))
    assert 229 not in solar_mds_in(date(2028, 2, 28), date(2028, 2, 28))
    assert celebrated_on(date(1984, 2, 29), False, 2027) == date(2027, 2, 28)
    assert celebrated_on(date(1984, 2, 29), False, 2028) == date(2028, 2, 29)


def test_lunar_birthdays_move_with_the_lunar_calendar():
    born = date(1980, 9, 25)  # lunar 8th month, 17th day
    assert celebrated_on(born, True, 2026) == date(2026, 9, 27)
    assert celebrated_on(born, True, 2027) == date(2027, 9, 17)
    assert 817 in lunar_mds_in(date(2026, 9, 27), date(2026, 9, 27))


def test_next_birthday_rolls_into_next_year():
    assert next_birthday(date(1990, 1, 5), False, date(2026, 11, 22)) == date(2027, 1, 5)
    assert next_birthday(date(1990, 11, 22), False, date(2026, 11, 22)) == date(2026, 11, 22)


# --- one customer, one set of rules: the form, the API and the importer agree -----------------

RESIDENT_ID = "11010519491231002X"
USCC = "91350100M000100Y43"
# The importer's header for each field of a customer file.
IMPORT_HEADERS = {
    "customer_no": "客户号",
    "name": "客户名称",
    "kind": "客户类型",
    "primary_rm": "主办客户经理",
    "birth_date": "出生日期",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "mobile": "手机号码",
}
GOOD_CUSTOMER = {
    "customer_no": "SAME1",
    "name": "王小明",
    "kind": "individual",
    "birth_date": "1985-06-01",
    "id_type": "resident_id",
    "id_number": RESIDENT_ID,
    "mobile": "13812345678",
}
BAD_CUSTOMERS = [
    ("a company with a resident ID", {"kind": "corporate", "name": "星辰科技有限公司"}, "id_type"),
    ("a person with a credit code", {"id_type": "uscc", "id_number": USCC}, "id_type"),
    ("born in 2099", {"birth_date": "2099-01-01"}, "birth_date"),
    ("born before 1900", {"birth_date": "1899-12-31"}, "birth_date"),
    ("a wrong check digit", {"id_number": "110105194912310021"}, "id_number"),
    ("a 7-digit mobile", {"mobile": "1381234"}, "mobile"),
    ("a formula for a name", {"name": '=HYPERLINK("http://x.example","点我")'}, "name"),
    ("a formula for an address", {"address": "@SUM(1+1)*cmd|' /C calc'!A0"}, "address"),
    ("the ID number of another customer", {"id_number": "440524188001010014"}, "id_number"),
]


def _form_messages(client_for, data, field):
    from django.urls import reverse

    response = client_for("rm").post(reverse("customers-create"), data)
    assert response.status_code == 200, "the form accepted it"
    return " ".join(response.context["form"].errors[field])


def _api_messages(api_for, data, field):
    response = api_for("rm").post("/api/customers/", data, format="json")
    assert response.status_code == 400, response.json()
    fields = response.json()["error"]["fields"]
    assert field in fields, fields
    return " ".join(fields[field])


def _import_messages(personas, data, field):
    import csv
    import io

    from customers.imports import ImportRejected, import_customers

    row = {**data, "primary_rm": personas.rm.username}
    headers = {**IMPORT_HEADERS, "address": "地址"}
    out = io.StringIO()
    columns = [name for name in headers if name in row]
    csv.writer(out).writerows([[headers[c] for c in columns], [row[c] for c in columns]])
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="one.csv", data=out.getvalue().encode(), actor=personas.admin)
    found = [e.message for e in rejected.value.errors if e.column == headers[field]]
    assert found, rejected.value.errors
    return " ".join(found)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "changes", "field"), BAD_CUSTOMERS, ids=[c[0] for c in BAD_CUSTOMERS]
)
def test_the_form_the_api_and_the_importer_refuse_a_bad_customer_with_the_same_message(
    client_for, api_for, personas, case, changes, field
):
    from customers.models import Customer
    from tests.factories import CustomerFactory

    CustomerFactory(customer_no="OTHER", id_number="440524188001010014")
    data = {**GOOD_CUSTOMER, **changes}
    form = _form_messages(client_for, data, field)
    api = _api_messages(api_for, data, field)
    imported = _import_messages(personas, data, field)
    assert form == api == imported
    assert not Customer.objects.filter(customer_no="SAME1").exists()


def test_the_rules_pass_a_good_customer_in_its_stored_spelling():
    values = {
        **GOOD_CUSTOMER,
        "birth_date": date(1985, 6, 1),
        "mobile": "+86 138-1234-5678",
        "id_number": RESIDENT_ID.lower(),
    }
    assert validators.check_customer(values, id_taken=lambda *_: False) == {}
    assert values["mobile"] == "13812345678" and values["id_number"] == RESIDENT_ID


@pytest.mark.django_db
def test_the_messages_are_in_the_users_language(api_for, personas):
    personas.rm.language = "en"
    personas.rm.save()
    data = {**GOOD_CUSTOMER, "birth_date": "2099-01-01"}
    assert _api_messages(api_for, data, "birth_date") == "The birth date cannot be in the future."


@pytest.mark.django_db
def test_an_api_update_is_checked_against_the_stored_values(api_for, personas):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(primary_rm=personas.rm, id_number=RESIDENT_ID)
    response = api_for("rm").patch(
        f"/api/customers/{customer.pk}/", {"kind": "corporate"}, format="json"
    )
    assert response.status_code == 400 and "id_type" in response.json()["error"]["fields"]
    customer.refresh_from_db()
    assert customer.kind == "individual"


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ('=HYPERLINK("http://x.example","点我")', True),
        ("=1+1", True),
        ("+SUM(A1:A9)", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("@SUM(1+1)", True),
        ("+A1", True),
        ("+86 138 1234 5678", False),
        ("- 已联系", False),
        ("-", False),
        ("@张三", False),
        ("-1层", False),
        ("张三", False),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_refused(text, formula):
    if formula:
        with pytest.raises(ValidationError) as error:
            validators.refuse_formula(text)
        assert error.value.code == "formula"
    else:
        assert validators.refuse_formula(text) == text


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"amount": Decimal("-1"), "opened_on": date(2026, 1, 1)}, {"amount"}),
        ({"amount": Decimal("1"), "opened_on": date(1949, 12, 31)}, {"opened_on"}),
        ({"amount": Decimal("1"), "matures_on": date(2101, 1, 1)}, {"matures_on"}),
        (
            {"amount": Decimal("1"), "opened_on": date(2026, 1, 2), "matures_on": date(2026, 1, 1)},
            {"matures_on"},
        ),
        (
            {
                "amount": Decimal("0"),
                "opened_on": date(1950, 1, 1),
                "matures_on": date(2100, 12, 31),
            },
            set(),
        ),
    ],
)
def test_holdings_need_plausible_dates_and_no_negative_amount(values, fields):
    assert set(validators.check_holding(values)) == fields


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_holding_with_the_importers_message(client_for, personas):
    import csv
    import io

    from django.urls import reverse

    from customers.imports import ImportRejected, import_holdings
    from customers.models import Holding
    from tests.factories import CustomerFactory, ProductFactory

    customer = CustomerFactory(customer_no="H1", primary_rm=personas.rm)
    product = ProductFactory(code="TD-1Y")
    response = client_for("admin").post(
        reverse("admin:customers_holding_add"),
        {
            "customer": customer.pk,
            "product": product.pk,
            "account_no": "6222001",
            "amount": "-5",
            "currency": "CNY",
            "opened_on": "2026-01-01",
            "matures_on": "2150-01-01",
            "status": "active",
        },
    )
    form = response.context["adminform"].form
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ["客户号", "产品代码", "账号", "金额", "开立日期", "到期日"],
            ["H1", "TD-1Y", "6222001", "-5", "2026-01-01", "2150-01-01"],
        ]
    )
    with pytest.raises(ImportRejected) as rejected:
        import_holdings(name="h.csv", data=out.getvalue().encode(), actor=personas.admin)
    imported = {e.column: e.message for e in rejected.value.errors}
    assert " ".join(form.errors["amount"]) == imported["金额"]
    assert " ".join(form.errors["matures_on"]) == imported["到期日"]
    assert not Holding.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("birthday", [date(2099, 1, 1), date(1899, 12, 31)])
def test_a_key_contacts_birthday_follows_the_birth_date_rule(personas, birthday):
    from customers.models import KeyContact
    from tests.factories import CustomerFactory

    contact = KeyContact(customer=CustomerFactory(kind="corporate"), name="李总", birthday=birthday)
    with pytest.raises(ValidationError) as error:
        contact.full_clean()
    customer_rules = validators.check_customer({"birth_date": birthday})
    assert error.value.message_dict["birthday"] == customer_rules["birth_date"]
