import pytest

from customers.models import Customer, Relation, SensitiveAccess
from tests.conftest import CUSTOMER_SCOPE, PERSONAS
from tests.factories import HoldingFactory

pytestmark = pytest.mark.django_db

REQUIRED = {
    "id",
    "customer_no",
    "name",
    "kind",
    "birth_date",
    "mobile",
    "id_number",
    "branch",
    "primary_rm",
    "assisting_rms",
    "asset_tier",
    "star_level",
    "lifecycle_stage",
    "risk_grade",
}


def keys_of(book, ids):
    return {k for k, c in vars(book).items() if c.pk in ids}


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_is_scoped_and_masked(api_for, book, persona):
    body = api_for(persona).get("/api/customers/").json()
    assert keys_of(book, {c["id"] for c in body["results"]}) == CUSTOMER_SCOPE[persona] - {
        "archived"
    }
    for row in body["results"]:
        assert set(row) >= REQUIRED
        assert "*" in row["id_number"] and "*" in row["mobile"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_is_404_outside_the_scope_and_full_inside(api_for, book, persona, personas):
    client = api_for(persona)
    for key, customer in vars(book).items():
        if key == "archived":
            continue
        response = client.get(f"/api/customers/{customer.pk}/")
        if key in CUSTOMER_SCOPE[persona]:
            assert response.json()["id_number"] == customer.id_number
        else:
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert SensitiveAccess.objects.filter(user=getattr(personas, persona), action="view").exists()


def test_list_search_and_filters(api_for, book):
    client = api_for("head")
    assert [c["name"] for c in client.get("/api/customers/", {"q": "zw"}).json()["results"]] == [
        "张伟"
    ]
    assert [
        c["name"] for c in client.get("/api/customers/", {"q": "shanli"}).json()["results"]
    ] == ["单丽"]
    assert client.get("/api/customers/", {"birthday_within": "x"}).status_code == 400


def test_rm_creates_through_the_api(api_for, personas):
    payload = {
        "customer_no": "API1",
        "name": "钱多多",
        "kind": "individual",
        "id_type": "resident_id",
        "id_number": "11010519491231002x",
        "mobile": "+86 13912345678",
    }
    response = api_for("rm").post("/api/customers/", payload, format="json")
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(customer_no="API1")
    assert customer.primary_rm == personas.rm and customer.id_number.endswith("X")
    assert customer.mobile == "13912345678"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"mobile": "123"}, "mobile"),
        ({"kind": "alien"}, "kind"),
    ],
)
def test_bad_api_input_is_refused_and_saves_nothing(api_for, payload, field):
    base = {"customer_no": "API2", "name": "钱多多", "kind": "individual", "id_type": "resident_id"}
    response = api_for("rm").post("/api/customers/", {**base, **payload}, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not Customer.objects.filter(customer_no="API2").exists()


def test_head_must_name_a_primary_rm_in_scope(api_for, personas):
    base = {"customer_no": "API3", "name": "钱多多", "kind": "individual"}
    assert api_for("head").post("/api/customers/", base, format="json").status_code == 400
    outside = api_for("head").post(
        "/api/customers/", {**base, "primary_rm": "other_rm"}, format="json"
    )
    assert outside.status_code == 400 and "primary_rm" in outside.json()["error"]["fields"]
    inside = api_for("head").post(
        "/api/customers/", {**base, "primary_rm": "colleague"}, format="json"
    )
    assert inside.status_code == 201 and inside.json()["primary_rm"] == "colleague"


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("rm", "mine", 200),
        ("rm", "assisted", 403),
        ("rm", "other", 404),
        ("head", "mine", 200),
        ("admin", "other", 200),
    ],
)
def test_update_follows_the_edit_rule(api_for, book, persona, target, status):
    customer = getattr(book, target)
    response = api_for(persona).patch(
        f"/api/customers/{customer.pk}/", {"notes": "更新"}, format="json"
    )
    assert response.status_code == status
    customer.refresh_from_db()
    assert (customer.notes == "更新") == (status == 200)


def test_holdings_and_relations_of_a_customer(api_for, book):
    HoldingFactory(customer=book.mine)
    Relation.objects.create(from_customer=book.assisted, to_customer=book.mine, kind="spouse")
    client = api_for("rm")
    holdings = client.get(f"/api/customers/{book.mine.pk}/holdings/").json()["results"]
    assert len(holdings) == 1 and holdings[0]["product"].startswith("P")
    relations = client.get(f"/api/customers/{book.mine.pk}/relations/").json()
    assert relations == [
        {
            "customer": book.assisted.pk,
            "name": "单丽",
            "kind": "spouse",
            "label": "配偶",
            "direction": "from",
        }
    ]
    assert client.get(f"/api/customers/{book.other.pk}/holdings/").status_code == 404
    assert client.get(f"/api/customers/{book.other.pk}/relations/").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_reads_the_product_catalogue(api_for, persona):
    HoldingFactory()
    assert api_for(persona).get("/api/products/").json()["results"][0]["code"].startswith("P")


@pytest.mark.parametrize(("persona", "shows_id"), [("rm", False), ("head", False), ("admin", True)])
def test_relations_name_a_customer_out_of_scope_without_their_id(api_for, book, persona, shows_id):
    Relation.objects.create(from_customer=book.mine, to_customer=book.other, kind="supplier")
    relations = api_for(persona).get(f"/api/customers/{book.mine.pk}/relations/").json()
    assert len(relations) == 1
    assert relations[0]["name"] == "仇英" and relations[0]["direction"] == "to"
    assert relations[0]["customer"] == (book.other.pk if shows_id else None)


def test_relations_to_an_archived_customer_give_no_id_the_api_cannot_open(api_for, book):
    Relation.objects.create(from_customer=book.archived, to_customer=book.mine, kind="spouse")
    relations = api_for("admin").get(f"/api/customers/{book.mine.pk}/relations/").json()
    assert [(r["name"], r["customer"]) for r in relations] == [("归档客户", None)]


@pytest.mark.parametrize("params", [{"q": "zzzz"}, {"birthday_within": "x"}, {"kind": "alien"}])
def test_list_filters_do_not_apply_to_one_customer_or_its_holdings(api_for, book, params):
    HoldingFactory(customer=book.mine)
    client = api_for("rm")
    holdings = client.get(f"/api/customers/{book.mine.pk}/holdings/", params)
    assert holdings.status_code == 200 and len(holdings.json()["results"]) == 1
    detail = client.get(f"/api/customers/{book.mine.pk}/", params)
    assert detail.status_code == 200 and detail.json()["name"] == "张伟"
    relations = client.get(f"/api/customers/{book.mine.pk}/relations/", params)
    assert relations.status_code == 200
