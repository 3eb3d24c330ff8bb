"""A click for a new car costs two PowerOffice Go requests: the car's product and the order. The
category products (the add-on's `HUB-ADDON`) are remembered per connection for
POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS and forgotten when an order that used them fails; the car's
product is created without a lookup, its intent linked first, so an attempt after an unknown
outcome looks its code up instead of creating it twice. Requests are counted at the HTTP edge
(`responses`); the clock is moved with time-machine, never waited for."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
import time_machine

from integrations.engine import enqueue_job, run_job
from integrations.models import Link, SyncJob
from integrations.providers.poweroffice_go.products import PENDING
from tests.integrations.poweroffice_go.conftest import FAKE_BASE
from tests.integrations.poweroffice_go.test_fewer_requests import _order, _retried, _sent
from tests.integrations.poweroffice_go.test_order_query_cost import Products, mock_go

API = f"{FAKE_BASE}/v2"
SOME_MOMENT = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pogo_at_fake_host")]


@pytest.fixture
def products():
    return Products()


@pytest.fixture
def go(products):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_go(mock, products, order_id="6f0c0a4e-0000-4000-8000-000000000001",
                order_no=1042)
        yield mock


def _new_car(contract, vin):
    """The contract sells another car (as each click of the benchmarks does)."""
    from contracts.models import Car

    contract.car = Car.objects.create(organization=contract.organization, vin=vin,
                                      make="Volvo", model="EX30", year=2024)
    contract.save()
    return contract


def _product_link(connection, code):
    return Link.objects.filter(connection=connection, record_type="product",
                               local_id=code).first()


def test_a_new_cars_order_sends_the_cars_product_and_the_order(go, products, connection,
                                                               mappings, contract):
    first, sent = _order(connection, contract, go, "1")
    assert first.status == SyncJob.Status.DONE, first.last_error
    # The first order looks the category product up; the car is created at once.
    assert sent.count("GET /Products") == 1

    _new_car(contract, "YV1NEWCAR00000002")
    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent == ["POST /Products", "POST /SalesOrders/Complete"]
    assert json.loads(go.calls[-2].request.body)["Code"] == "YV1NEWCAR00000002"
    lines = json.loads(go.calls[-1].request.body)["SalesOrderLines"]
    assert [line["ProductId"] for line in lines] == [
        products.rows["YV1NEWCAR00000002"]["Id"], products.rows["HUB-ADDON"]["Id"]]
    link = _product_link(connection, "YV1NEWCAR00000002")
    assert link.remote_id == str(products.rows["YV1NEWCAR00000002"]["Id"])


def test_after_an_unknown_outcome_the_car_is_looked_up_not_created_twice(go, products,
                                                                         connection, mappings,
                                                                         contract):
    _order(connection, contract, go, "1")
    _new_car(contract, "YV1NEWCAR00000003")

    def created_then_timed_out(request):
        products.post(request)  # Go stored it; the answer never came back
        raise requests.exceptions.ReadTimeout("read timed out")

    go.remove(responses.POST, f"{API}/Products")
    go.add_callback("POST", f"{API}/Products", callback=created_then_timed_out)
    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.UNKNOWN
    assert sent == ["POST /Products"]
    assert _product_link(connection, "YV1NEWCAR00000003").remote_id.startswith(PENDING)

    go.remove(responses.POST, f"{API}/Products")
    go.add_callback("POST", f"{API}/Products", callback=products.post)
    go.get(f"{API}/SalesOrders", status=204)  # the order is looked for first: not there
    before = len(go.calls)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE, job.last_error
    sent = _sent(go, before)
    # The intent was there: the code is looked up (the order too, as any unknown outcome).
    assert "POST /Products" not in sent and "GET /Products" in sent
    assert products.created.count("YV1NEWCAR00000003") == 1
    assert _product_link(connection, "YV1NEWCAR00000003").remote_id == str(
        products.rows["YV1NEWCAR00000003"]["Id"])


def test_a_car_go_already_has_is_looked_up_and_linked_when_go_refuses_its_code(
        go, products, connection, mappings, contract):
    # Made in Go by hand, with another account: Go refuses a second product with that code.
    products.rows["YV1XZK9V1P2012345"] = {"Id": 77, "Code": "YV1XZK9V1P2012345",
                                          "Name": "Volvo", "StandardSalesAccount": 3200}
    go.patch(f"{API}/Products/77", json={"Id": 77})
    job, sent = _order(connection, contract, go, "1")
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent.count("POST /Products") == 2  # the add-on's, and the car's that Go refused
    assert "PATCH /Products/77" in sent
    assert json.loads(go.calls[-1].request.body)["SalesOrderLines"][0]["ProductId"] == 77
    assert _product_link(connection, "YV1XZK9V1P2012345").remote_id == "77"
    assert "YV1XZK9V1P2012345" not in products.created


def test_a_linked_car_is_not_sent_again_unless_its_name_differs(go, products, connection,
                                                                mappings, contract):
    _order(connection, contract, go, "1")
    job, sent = _order(connection, contract, go, "2")
    assert sent == ["POST /SalesOrders/Complete"]

    contract.car.model = "EX30 Cross Country"
    contract.car.save()
    car_id = products.rows["YV1XZK9V1P2012345"]["Id"]
    go.patch(f"{API}/Products/{car_id}", json={"Id": car_id})
    job, sent = _order(connection, contract, go, "3")
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent == ["GET /Products", f"PATCH /Products/{car_id}", "POST /SalesOrders/Complete"]
    assert products.created.count("YV1XZK9V1P2012345") == 1


def test_remembered_category_products_are_read_again_once_they_expire(
        go, products, connection, mappings, contract, settings):
    settings.POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS = 600
    go.post(f"{FAKE_BASE}/OAuth/Token", json={"access_token": "tok-2", "token_type": "bearer",
                                              "expires_in": 3600})
    with time_machine.travel(SOME_MOMENT) as clock:
        assert _order(connection, contract, go, "1")[0].status == SyncJob.Status.DONE
        # The accountant moves the add-on product to another account in Go.
        addon = products.rows["HUB-ADDON"]
        addon["StandardSalesAccount"] = 3200
        go.patch(f"{API}/Products/{addon['Id']}", json={"Id": addon["Id"]})

        clock.shift(timedelta(seconds=590))  # the staleness accepted: inside the window
        job, sent = _order(connection, _new_car(contract, "YV1NEWCAR00000004"), go, "2")
        assert job.status == SyncJob.Status.DONE, job.last_error
        assert sent == ["POST /Products", "POST /SalesOrders/Complete"]

        clock.shift(timedelta(seconds=20))
        job, sent = _order(connection, _new_car(contract, "YV1NEWCAR00000005"), go, "3")
        assert job.status == SyncJob.Status.DONE, job.last_error
        # (the accounts' VAT codes expire at the same time)
        assert "GET /Products" in sent and f"PATCH /Products/{addon['Id']}" in sent
        patch = next(c.request for c in go.calls if c.request.method == "PATCH")
        assert json.loads(patch.body) == [{"op": "replace", "path": "/StandardSalesAccount",
                                           "value": 3010}]


def test_a_failed_order_forgets_the_products_it_took_from_memory(go, products, connection,
                                                                 mappings, contract):
    _order(connection, contract, go, "1")
    # The accountant deleted the add-on product in Go; we still remember it.
    del products.rows["HUB-ADDON"]
    go.replace(responses.POST, f"{API}/SalesOrders/Complete", status=400,
               json={"title": "Object(s) not found", "status": 400,
                     "detail": "SalesOrderLines[1]: product with id = 101 not found."})
    _new_car(contract, "YV1NEWCAR00000006")
    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.FAILED
    assert sent == ["POST /Products", "POST /SalesOrders/Complete"]

    go.replace(responses.POST, f"{API}/SalesOrders/Complete", status=201, json={
        "Id": "6f0c0a4e-0000-4000-8000-000000000002", "SalesOrderNo": 1043})
    job, sent = _retried(job, go)
    assert job.status == SyncJob.Status.DONE, job.last_error
    # The customer and both products are read again (the car is linked: not created a second
    # time), and the add-on's product is created anew.
    assert sent == ["GET /Customers/501", "GET /Products", "POST /Products",
                    "POST /SalesOrders/Complete"]
    assert products.created.count("YV1NEWCAR00000006") == 1
    assert products.created.count("HUB-ADDON") == 2


def test_no_product_is_remembered_when_the_setting_is_zero(go, connection, mappings, contract,
                                                          settings):
    settings.POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS = 0
    _order(connection, contract, go, "1")
    job, sent = _order(connection, contract, go, "2")
    assert job.status == SyncJob.Status.DONE, job.last_error
    assert sent.count("GET /Products") == 1 and "POST /Products" not in sent


def test_a_persons_order_is_expected_at_the_limiter_before_its_first_request(
        go, connection, mappings, contract, monkeypatch):
    """The runner marks the provider's key for an interactive job as it starts, so a slot that
    frees while the job prepares is kept for its first request (test_ratelimit.py)."""
    from integrations import ratelimit
    from integrations.providers.poweroffice_go.provider import PowerOfficeGo

    expected = []
    monkeypatch.setattr(ratelimit, "expect_person",
                        lambda key, policy, **kw: expected.append((key, len(go.calls))))
    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk, priority=SyncJob.Priority.INTERACTIVE)
    run_job(job.pk)
    assert expected == [(PowerOfficeGo(connection).rate_limit_key(), 0)]

    job, _ = enqueue_job(connection=connection, operation="order.create", record_type="order",
                         local_id=contract.pk, variant="background")
    run_job(job.pk)
    assert len(expected) == 1  # background work is nobody waiting
