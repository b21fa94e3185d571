"""The plan and outcome forms pick several things with checkboxes, not Ctrl-click lists."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, VisitFactory
from visits.models import Material

pytestmark = pytest.mark.django_db


def checkboxes(html, name):
    return re.findall(rf'<input class="form-check-input[^"]*" type="checkbox" name="{name}"', html)


def test_the_plan_form_offers_materials_and_companions_as_checkboxes(client_for, personas, org):
    for n in range(10):
        UserFactory(username=f"rm_b1a_{n}", role="rm", branch=org.b1a)
    response = client_for("rm").get(reverse("visits-create"))
    html = response.content.decode()
    assert "multiple" not in html
    assert len(checkboxes(html, "materials")) == Material.objects.filter(is_active=True).count()
    companions = response.context["form"].fields["companions"].queryset
    assert len(checkboxes(html, "companions")) == companions.count() > 10
    assert 'data-testid="check-list-filter"' in html  # a long list can be filtered
    assert "form-control" not in "".join(re.findall(r'<input[^>]*type="checkbox"[^>]*>', html))


def test_the_outcome_form_offers_products_as_checkboxes(client_for, book):
    from tests.factories import ProductFactory

    products = [ProductFactory() for _ in range(3)]
    visit = VisitFactory(customer=book.mine, planned_start=timezone.now())
    html = client_for("rm").get(reverse("visits-complete", args=[visit.pk])).content.decode()
    assert "multiple" not in html
    assert len(checkboxes(html, "products_discussed")) >= len(products)


def test_ticked_materials_companions_and_products_are_saved(client_for, book, personas):
    material = Material.objects.filter(is_active=True).first()
    start = timezone.localtime()
    data = {
        "customer": book.mine.customer_no,
        "channel": "on_site",
        "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
        "planned_end": start.strftime("%Y-%m-%dT%H:%M"),
        "purpose": "介绍大额存单",
        "materials": [material.pk],
        "companions": [personas.colleague.pk],
    }
    client = client_for("rm")
    response = client.post(reverse("visits-create"), data)
    assert response.status_code == 302
    visit = book.mine.visits.get()
    assert list(visit.materials.all()) == [material]
    assert list(visit.companions.all()) == [personas.colleague]
    html = client.get(reverse("visits-edit", args=[visit.pk])).content.decode()
    assert re.search(rf'name="materials" value="{material.pk}" id="[^"]+" checked', html)


def test_the_forms_query_count_does_not_grow_with_their_choices(client_for, book, org):
    from tests.conftest import count_queries
    from tests.factories import ProductFactory

    client = client_for("rm")
    visit = VisitFactory(customer=book.mine, planned_start=timezone.now())
    urls = [reverse("visits-create"), reverse("visits-complete", args=[visit.pk])]
    few = [count_queries(client, url) for url in urls]
    for n in range(20):
        UserFactory(username=f"peer{n}", role="rm", branch=org.b1a)
        ProductFactory()
        Material.objects.create(name=f"材料{n}")
    assert [count_queries(client, url) for url in urls] == few
