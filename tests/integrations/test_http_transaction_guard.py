"""No HTTP inside a database transaction: the shared client refuses, before anything is sent."""

import pytest
import responses
from django.db import transaction

from integrations.http import in_transaction
from tests.integrations.fakebooks import BASE, FakeBooks, FakeBooksClient


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add("POST", f"{BASE}/customers", json={"id": 1}, status=201)
        yield rsps


def _post(connection):
    return FakeBooksClient(FakeBooks(connection)).request("POST", "/customers?x=1",
                                                          json={"name": "x"})


@pytest.mark.django_db
def test_a_request_inside_a_transaction_is_refused_and_not_sent(connection, api):
    with transaction.atomic():
        with pytest.raises(RuntimeError,
                           match=r"^HTTP inside a database transaction: POST /customers\."):
            _post(connection)
    assert len(api.calls) == 0


@pytest.mark.django_db
def test_the_test_cases_own_transaction_does_not_count(connection, api):
    assert not in_transaction()
    assert _post(connection).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_is_sent_and_inside_refused(connection, api):
    assert _post(connection).status_code == 201
    with transaction.atomic(), transaction.atomic():
        assert in_transaction()
        with pytest.raises(RuntimeError, match="HTTP inside a database transaction"):
            _post(connection)
    assert len(api.calls) == 1
