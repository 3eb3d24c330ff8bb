from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.models import Customer
from contracts.models import Car, Contract

pytestmark = pytest.mark.django_db


def contract_post(customer, car, number="2001", lines=()):
    data = {
        "number": number,
        "customer": customer.pk,
        "car": car.pk,
        "status": "draft",
        "signed_on": "",
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": 0,
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
    }
    for i, (category, description, quantity, price) in enumerate(lines):
        data |= {
            f"lines-{i}-category": category,
            f"lines-{i}-description": description,
            f"lines-{i}-quantity": quantity,
            f"lines-{i}-unit_price": price,
            f"lines-{i}-vat_label": "25 %",
        }
    return data


CAR_AND_ADDONS = [
    ("car", "Volvo EX30", "1", "389900.00"),
    ("addon", "Vinterhjul", "1", "14900.00"),
    ("addon", "Rustbehandling", "1", "6900.00"),
]


def test_staff_creates_contract_with_car_and_addons(client, org, staff_user, records):
    client.force_login(staff_user)
    assert client.get(reverse("contracts:contract_create")).status_code == 200
    response = client.post(
        reverse("contracts:contract_create"),
        contract_post(records[Customer], records[Car], lines=CAR_AND_ADDONS),
    )
    contract = Contract.objects.get(organization=org, number="2001")
    assert response.status_code == 302
    assert response.url == reverse("contracts:contract_detail", args=[contract.pk])
    assert [line.description for line in contract.lines.all()] == [
        "Volvo EX30", "Vinterhjul", "Rustbehandling"
    ]
    assert contract.sale_price == Decimal("389900.00")
    assert contract.total_excl_vat == Decimal("411700.00")
    assert contract.currency == org.currency


def test_staff_edits_contract_lines(client, staff_user, records):
    contract = records[Contract]
    client.force_login(staff_user)
    url = reverse("contracts:contract_edit", args=[contract.pk])
    lines = list(contract.lines.all())
    data = contract_post(contract.customer, contract.car, number=contract.number)
    data |= {"lines-TOTAL_FORMS": len(lines) + 1, "lines-INITIAL_FORMS": len(lines)}
    for i, line in enumerate(lines):
        data |= {
            f"lines-{i}-id": line.pk,
            f"lines-{i}-category": line.category,
            f"lines-{i}-description": line.description,
            f"lines-{i}-quantity": line.quantity,
            f"lines-{i}-unit_price": line.unit_price,
            f"lines-{i}-vat_label": line.vat_label,
        }
    data[f"lines-{len(lines) - 1}-DELETE"] = "on"
    data |= {
        f"lines-{len(lines)}-category": "labor",
        f"lines-{len(lines)}-description": "Montering",
        f"lines-{len(lines)}-quantity": "2",
        f"lines-{len(lines)}-unit_price": "1150",
        f"lines-{len(lines)}-vat_label": "25 %",
    }
    assert client.post(url, data).status_code == 302
    assert [(line.category, line.position) for line in contract.lines.all()] == [
        ("car", 0), ("labor", 1)
    ]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"lines": [("addon", "Vinterhjul", "1", "14900")]}, None),  # no car line
        ({"number": "K-Aurora"}, "number"),  # taken in this organization
        ({"customer": "other"}, "customer"),
        ({"car": "other"}, "car"),
    ],
    ids=["no-car-line", "duplicate-number", "other-org-customer", "other-org-car"],
)
def test_contract_form_rejects(client, staff_user, records, other_records, change, field):
    client.force_login(staff_user)
    customer = other_records[Customer] if change.get("customer") else records[Customer]
    car = other_records[Car] if change.get("car") else records[Car]
    data = contract_post(
        customer, car, number=change.get("number", "2002"),
        lines=change.get("lines", CAR_AND_ADDONS),
    )
    response = client.post(reverse("contracts:contract_create"), data)
    assert response.status_code == 200
    if field:
        assert field in response.context["form"].errors
    else:
        assert response.context["lines"].non_form_errors()
    assert not Contract.objects.filter(number="2002").exists()


def test_a_number_taken_in_another_organization_is_free(client, staff_user, records, other_records):
    client.force_login(staff_user)
    data = contract_post(records[Customer], records[Car], number="K-Borealis", lines=CAR_AND_ADDONS)
    assert client.post(reverse("contracts:contract_create"), data).status_code == 302


def test_another_organizations_contract_cannot_be_edited(client, staff_user, other_records):
    client.force_login(staff_user)
    url = reverse("contracts:contract_edit", args=[other_records[Contract].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_contract_form_needs_login(client):
    response = client.get(reverse("contracts:contract_create"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
