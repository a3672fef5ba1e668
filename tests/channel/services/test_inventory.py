"""PUT /api/omni/inventory: body shapes, validation, legacy and MSI writes, failures, ordering."""

from __future__ import annotations

import json
import time

import pytest

from channel import outbox
from channel.models import (
    CallDirection,
    CallRecord,
    Flow,
    FlowState,
    Operation,
    OperationState,
    StockLevel,
    StockSource,
    StockState,
)
from channel.services import inventory
from channel.services.inventory import INVENTORY_PUSH, StockLine
from tests.support.inventory import (
    at,
    location_body,
    magento_sim,
    put_inventory,
    source_qty,
    stock_of,
)

pytestmark = pytest.mark.django_db
__all__ = ["magento_sim"]


def push(location: str, received_at, *lines: tuple[str, int]) -> inventory.PushResult:
    return inventory.inventory_update(
        location_code=location,
        lines=[StockLine(sku, qty) for sku, qty in lines],
        received_at=received_at,
        deadline=time.monotonic() + 5,
    )


def level(sku: str, location: str = "WH1") -> StockLevel:
    return StockLevel.objects.get(sku=sku, location_code=location)


# --- body shapes ----------------------------------------------------------------------------------
def test_it_writes_a_location_wise_push_to_magento_and_lists_the_skus(api, magento_sim) -> None:
    response = put_inventory(api, location_body("WH1", ("SKU-1", 40), ("SKU-2", 0)))
    assert response.status_code == 200
    assert response.json() == {"successList": ["SKU-1", "SKU-2"], "failureList": []}
    assert stock_of(magento_sim, "SKU-1") == (40, True)
    assert stock_of(magento_sim, "SKU-2") == (0, False)
    put = magento_sim.calls("PUT", r"/V1/products/SKU-1/stockItems/1$")[0]
    assert put.json == {"stockItem": {"qty": 40, "is_in_stock": True}}


def test_it_keeps_the_ledger_of_what_omni_sent_and_magento_accepted(api, magento_sim) -> None:
    put_inventory(api, location_body("WH1", ("SKU-1", 40)))
    row = level("SKU-1")  # the ledger is per location, also for legacy Magento
    assert (row.quantity, row.omni_location_code, row.state) == (40, "WH1", StockState.SYNCED)
    assert row.magento_quantity == 40 and row.magento_version == row.received_at
    assert row.magento_accepted_at is not None and row.pending_difference == 0


def test_it_takes_the_consolidated_quantity_from_a_consolidated_push(api, magento_sim) -> None:
    body = {
        "consolidationType": "ALL",
        "inventories": [
            {
                "consolidatedQuantity": 36,
                "consolidatedMinExpiry": "2020-10-16",
                "channelSkuCode": "SKU-1",
                "channelSerialNo": "456",
                "listingId": 105,
                "quantity": 30,
                "minExpiry": "2020-10-16",
                "locationCode": "loc1",
                "consolidationType": "STORE",
            }
        ],
    }
    response = put_inventory(api, body)
    assert response.json() == {"successList": ["SKU-1"], "failureList": []}
    assert stock_of(magento_sim, "SKU-1") == (36, True)
    assert level("SKU-1", "").omni_location_code == ""


def test_it_records_magento_calls_made_on_worker_threads(api, magento_sim) -> None:
    put_inventory(api, location_body("WH1", ("SKU-1", 4), ("SKU-2", 5), ("SKU-3", 6)))
    outbound = CallRecord.objects.filter(direction=CallDirection.OUTBOUND, system="magento")
    assert sorted(outbound.values_list("path", flat=True)) == [
        "/rest/default/V1/products/SKU-1/stockItems/1",
        "/rest/default/V1/products/SKU-2/stockItems/1",
        "/rest/default/V1/products/SKU-3/stockItems/1",
    ]
    assert CallRecord.objects.filter(direction=CallDirection.INBOUND, status=200).count() == 1


def test_it_accepts_a_repeated_sku_with_the_same_quantity_once(api, magento_sim) -> None:
    response = put_inventory(api, location_body("WH1", ("SKU-1", 4), ("SKU-1", 4)))
    assert response.json() == {"successList": ["SKU-1"], "failureList": []}
    assert len(magento_sim.calls("PUT")) == 1


# --- validation -----------------------------------------------------------------------------------
def test_it_refuses_more_than_200_skus(api, magento_sim) -> None:
    lines = [(f"SKU-{n}", 1) for n in range(201)]
    response = put_inventory(api, location_body("WH1", *lines))
    assert response.status_code == 400
    assert response.json() == {
        "hasError": True,
        "errorMessage": "At most 200 SKUs per call; this one has 201.",
        "errors": {"inventories": ["At most 200 SKUs per call."]},
    }
    assert StockLevel.objects.count() == 0 and magento_sim.calls() == []


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"quantity": 3}, "inventories[1].channelSkuCode", "This field is required."),
        (
            {"channelSkuCode": "", "quantity": 3},
            "inventories[1].channelSkuCode",
            "This field may not be blank.",
        ),
        (
            {"channelSkuCode": "SKU-2", "quantity": -1},
            "inventories[1].quantity",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"channelSkuCode": "SKU-2", "quantity": 2.5},
            "inventories[1].quantity",
            "A valid integer is required.",
        ),
        (
            {"channelSkuCode": "SKU-2", "quantity": "many"},
            "inventories[1].quantity",
            "A valid integer is required.",
        ),
        ({"channelSkuCode": "SKU-2"}, "inventories[1].quantity", "This field is required."),
        (
            {"channelSkuCode": "SKU-2", "quantity": None},
            "inventories[1].quantity",
            "This field may not be null.",
        ),
    ],
)
def test_a_malformed_line_makes_the_whole_request_400(api, magento_sim, line, field, message):
    body = {
        "locationCode": "WH1",
        "inventories": [{"channelSkuCode": "SKU-1", "quantity": 1}, line],
    }
    response = put_inventory(api, body)
    assert response.status_code == 400
    assert response.json() == {
        "hasError": True,
        "errorMessage": f"Invalid request: {field}: {message}",
        "errors": {field: [message]},
    }
    assert StockLevel.objects.count() == 0 and magento_sim.calls() == []


def test_it_reads_a_whole_number_written_as_a_decimal(api, magento_sim) -> None:
    response = put_inventory(api, location_body("WH1", ("SKU-1", 40.0)))
    assert response.json() == {"successList": ["SKU-1"], "failureList": []}
    assert level("SKU-1").quantity == 40


def test_it_refuses_a_sku_longer_than_omnis_255_characters(api, magento_sim) -> None:
    response = put_inventory(api, location_body("WH1", ("S" * 256, 1)))
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "inventories[0].channelSkuCode": ["Ensure this field has no more than 255 characters."]
    }


def test_it_refuses_a_sku_repeated_with_different_quantities(api, magento_sim) -> None:
    response = put_inventory(api, location_body("WH1", ("SKU-1", 4), ("SKU-1", 5)))
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "inventories[1].channelSkuCode": ["SKU-1 appears more than once with different quantities."]
    }


def test_it_needs_a_location_or_a_consolidation_type(api, magento_sim) -> None:
    response = put_inventory(api, {"inventories": [{"channelSkuCode": "SKU-1", "quantity": 1}]})
    assert response.status_code == 400
    assert response.json()["errors"] == {"locationCode": ["This field is required."]}
    response = put_inventory(api, [])
    assert response.json() == {"hasError": True, "errorMessage": "The body must be a JSON object."}


# --- failures -------------------------------------------------------------------------------------
def test_it_reports_unknown_skus_and_marks_them_in_the_ledger(api, magento_sim) -> None:
    response = put_inventory(api, location_body("WH1", ("SKU-1", 4), ("NOPE-1", 5)))
    assert response.json() == {"successList": ["SKU-1"], "failureList": ["NOPE-1"]}
    row = level("NOPE-1")
    assert row.state == StockState.UNKNOWN_SKU
    assert row.last_error == "SKU NOPE-1 is unknown in Magento"
    assert not Operation.objects.filter(kind=INVENTORY_PUSH).exists()  # nothing to retry


def test_magento_5xx_fails_some_skus_now_and_the_outbox_writes_them_later(api, magento_sim):
    magento_sim.inject("PUT", r"/products/SKU-2/stockItems", "status", times=1, status=503)
    response = put_inventory(api, location_body("WH1", ("SKU-1", 4), ("SKU-2", 7)))
    assert response.json() == {"successList": ["SKU-1"], "failureList": ["SKU-2"]}
    row = level("SKU-2")
    assert row.state == StockState.RETRYING and "503" in row.last_error
    operation = Operation.objects.get(kind=INVENTORY_PUSH)
    assert operation.target == f"stock:{row.pk}" and operation.payload == {"stockLevel": row.pk}

    assert outbox.run_due() == 1
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE
    assert operation.result == {"sku": "SKU-2", "quantity": 7, "alreadyInMagento": False}
    assert stock_of(magento_sim, "SKU-2") == (7, True)
    row.refresh_from_db()
    assert (row.state, row.magento_quantity, row.last_error) == (StockState.SYNCED, 7, "")


def test_the_background_write_does_nothing_when_magento_already_has_the_quantity(
    api, magento_sim
) -> None:
    magento_sim.inject("PUT", r"/products/SKU-1/stockItems", "timeout_after", times=1)
    response = put_inventory(api, location_body("WH1", ("SKU-1", 9)))
    assert response.json() == {"successList": [], "failureList": ["SKU-1"]}
    magento_sim.clear_requests()
    outbox.run_due()
    operation = Operation.objects.get(kind=INVENTORY_PUSH)
    assert operation.result == {"sku": "SKU-1", "quantity": 9, "alreadyInMagento": True}
    assert [c.method for c in magento_sim.calls()] == ["GET"]
    assert level("SKU-1").state == StockState.SYNCED


def test_it_queues_one_background_write_per_row_while_one_is_waiting(api, magento_sim) -> None:
    magento_sim.inject("PUT", r"/products/SKU-1/stockItems", "status", times=2, status=500)
    put_inventory(api, location_body("WH1", ("SKU-1", 1)))
    put_inventory(api, location_body("WH1", ("SKU-1", 2)))
    assert Operation.objects.filter(kind=INVENTORY_PUSH).count() == 1
    outbox.run_due()
    assert stock_of(magento_sim, "SKU-1") == (2, True)  # the newest, not the first failed one


def test_skus_not_written_within_the_time_budget_fail_and_are_retried(
    api, magento_sim, settings
) -> None:
    settings.INVENTORY_CONCURRENCY = 1
    settings.INVENTORY_TIME_BUDGET_SECONDS = 0.5
    magento_sim.latency_seconds = 0.3  # SKU-1 0–0.3 s, SKU-2 0.3–0.6 s, SKU-3 would start too late
    started = time.monotonic()
    response = put_inventory(api, location_body("WH1", ("SKU-1", 1), ("SKU-2", 2), ("SKU-3", 3)))
    assert time.monotonic() - started < 5  # answered near the budget, not after every write
    body = response.json()
    assert body["successList"] == ["SKU-1", "SKU-2"] and body["failureList"] == ["SKU-3"]
    assert level("SKU-3").last_error == "not written within the time budget"
    magento_sim.latency_seconds = 0
    outbox.run_due()
    assert stock_of(magento_sim, "SKU-3") == (3, True)


def test_a_paused_inventory_flow_keeps_the_quantities_for_later(api, magento_sim) -> None:
    FlowState.objects.create(flow=Flow.INVENTORY, paused=True)
    response = put_inventory(api, location_body("WH1", ("SKU-1", 5)))
    assert response.json() == {"successList": [], "failureList": ["SKU-1"]}
    assert outbox.run_due() == 0 and magento_sim.calls() == []
    FlowState.objects.filter(flow=Flow.INVENTORY).update(paused=False)
    outbox.run_due()
    assert stock_of(magento_sim, "SKU-1") == (5, True)


def test_refused_credentials_wait_for_a_person_with_the_write_kept(api, magento_sim, settings):
    settings.MAGENTO_TOKEN = "revoked-token"
    response = put_inventory(api, location_body("WH1", ("SKU-1", 5)))
    assert response.json() == {"successList": [], "failureList": ["SKU-1"]}
    assert level("SKU-1").state == StockState.FAILED
    assert Operation.objects.filter(kind=INVENTORY_PUSH).count() == 1


# --- ordering -------------------------------------------------------------------------------------
def test_an_older_push_after_a_newer_one_changes_nothing(magento_sim) -> None:
    assert push("WH1", at(2), ("SKU-1", 7)).success == ["SKU-1"]
    magento_sim.clear_requests()
    late = push("WH1", at(1), ("SKU-1", 5))
    assert (late.success, late.failure) == (["SKU-1"], [])  # superseded, not a failure
    assert magento_sim.calls() == []
    row = level("SKU-1")
    assert (row.quantity, row.received_at, row.magento_quantity) == (7, at(2), 7)
    assert stock_of(magento_sim, "SKU-1") == (7, True)


def test_an_older_push_does_not_win_through_a_background_retry(magento_sim) -> None:
    magento_sim.inject("PUT", r"/products/SKU-1/stockItems", "status", times=1, status=503)
    push("WH1", at(1), ("SKU-1", 5))  # fails now, retried later
    push("WH1", at(2), ("SKU-1", 7))
    outbox.run_due()
    assert stock_of(magento_sim, "SKU-1") == (7, True)
    assert level("SKU-1").magento_quantity == 7


def test_a_newer_push_during_an_older_write_is_written_again_after_it(magento_sim) -> None:
    """The older write may reach Magento last; the newest quantity is then queued again."""
    old = inventory.stock_record(
        location_code="WH1", lines=[StockLine("SKU-1", 5)], received_at=at(1)
    )
    inventory.stock_record(location_code="WH1", lines=[StockLine("SKU-1", 7)], received_at=at(2))
    magento_sim.set_stock("SKU-1", 5)  # the older write landed last
    (target,) = old.owned
    inventory.stock_settle(
        outcomes=[inventory.WriteOutcome(target, StockState.SYNCED)], version=at(1), source_code=""
    )
    row = level("SKU-1")
    assert (row.quantity, row.magento_quantity, row.magento_version) == (7, 5, at(1))
    assert Operation.objects.filter(kind=INVENTORY_PUSH).count() == 1
    outbox.run_due()
    assert stock_of(magento_sim, "SKU-1") == (7, True)
    row.refresh_from_db()
    assert (row.state, row.magento_quantity, row.magento_version) == (
        StockState.SYNCED,
        7,
        at(2),
    )


def test_legacy_mode_writes_the_sum_over_locations(magento_sim) -> None:
    push("WH1", at(1), ("SKU-1", 10))
    push("WH2", at(2), ("SKU-1", 5))
    assert StockLevel.objects.count() == 2
    assert stock_of(magento_sim, "SKU-1") == (15, True)
    assert magento_sim.salable_qty("SKU-1") == 15
    push("WH1", at(3), ("SKU-1", 0))
    assert stock_of(magento_sim, "SKU-1") == (5, True)
    assert level("SKU-1", "WH2").written_quantity == 15


# --- MSI ------------------------------------------------------------------------------------------
@pytest.fixture
def msi(settings, magento_sim):
    settings.MAGENTO_STOCK_MODE = "msi"
    settings.MAGENTO_SOURCE_MAP = {"WH1": "wh1"}
    settings.MAGENTO_SOURCE_ITEMS_CHUNK = 20
    magento_sim.source_codes |= {"wh1", "wh2"}
    for n in range(45):
        magento_sim.add_product(f"M-{n:02d}", qty=0)
    return magento_sim


def test_msi_writes_source_items_in_chunks_for_the_locations_source(api, msi) -> None:
    lines = [(f"M-{n:02d}", n) for n in range(45)]
    response = put_inventory(api, location_body("WH1", *lines))
    assert response.json() == {"successList": [s for s, _ in lines], "failureList": []}
    posts = msi.calls("POST", r"/V1/inventory/source-items$")
    assert sorted(len(p.json["sourceItems"]) for p in posts) == [5, 20, 20]
    assert {"sku": "M-00", "source_code": "wh1", "quantity": 0, "status": 0} in [
        item for p in posts for item in p.json["sourceItems"]
    ]
    assert source_qty(msi, "M-44", "wh1") == 44
    row = level("M-44", "WH1")  # with sources the ledger is per location
    assert (row.state, row.source_code, row.magento_quantity) == (StockState.SYNCED, "wh1", 44)


def test_msi_writes_a_rejected_chunk_item_by_item_so_one_bad_sku_fails_alone(
    api, msi, settings
) -> None:
    settings.MAGENTO_SOURCE_ITEMS_CHUNK = 4
    lines = [("M-01", 1), ("M-00-GONE", 2), ("M-02", 3), ("M-03", 4), ("M-04", 5)]
    response = put_inventory(api, location_body("WH1", *lines))
    assert response.json() == {
        "successList": ["M-01", "M-02", "M-03", "M-04"],
        "failureList": ["M-00-GONE"],
    }
    sizes = sorted(len(p.json["sourceItems"]) for p in msi.calls("POST"))
    assert sizes == [1, 1, 1, 1, 1, 4]  # the chunk of 4 was refused, then its items one by one
    assert level("M-00-GONE", "WH1").state == StockState.UNKNOWN_SKU
    assert source_qty(msi, "M-04", "wh1") == 5


def test_msi_refuses_to_guess_the_source_of_an_unmapped_location(api, msi) -> None:
    response = put_inventory(api, location_body("WH9", ("M-01", 1)))
    assert response.json() == {"successList": [], "failureList": ["M-01"]}
    row = level("M-01", "WH9")
    assert row.state == StockState.FAILED
    assert row.last_error == (
        "Location WH9 has no Magento source; map it under Stock sources in admin, then push again"
    )
    assert msi.calls("POST") == []


def test_msi_uses_the_admin_mapping_before_the_settings(api, msi) -> None:
    StockSource.objects.create(location_code="WH1", source_code="wh2")
    put_inventory(api, location_body("WH1", ("M-01", 8)))
    assert source_qty(msi, "M-01", "wh2") == 8 and source_qty(msi, "M-01", "wh1") is None


def test_msi_writes_consolidated_pushes_to_the_default_source(api, msi) -> None:
    body = {
        "consolidationType": "STORE",
        "inventories": [{"channelSkuCode": "M-01", "consolidatedQuantity": 12}],
    }
    assert put_inventory(api, body).json() == {"successList": ["M-01"], "failureList": []}
    assert source_qty(msi, "M-01", "default") == 12
    assert level("M-01", "").source_code == "default"


def test_msi_retries_a_chunk_that_failed_transiently_without_splitting_it(api, msi) -> None:
    msi.inject("POST", r"/V1/inventory/source-items", "status", times=1, status=502)
    response = put_inventory(api, location_body("WH1", ("M-01", 1), ("M-02", 2)))
    assert response.json() == {"successList": [], "failureList": ["M-01", "M-02"]}
    assert len(msi.calls("POST")) == 1
    assert outbox.run_due() == 2
    assert (source_qty(msi, "M-01", "wh1"), source_qty(msi, "M-02", "wh1")) == (1, 2)


def test_the_answer_is_json_with_the_contracts_two_lists(api, magento_sim) -> None:
    response = put_inventory(api, location_body("WH1", ("SKU-1", 1)))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"successList": ["SKU-1"], "failureList": []}
    assert list(json.loads(response.content)) == ["successList", "failureList"]


def test_settle_stores_each_rows_reserved_and_written_units_of_its_version_only() -> None:
    """One UPDATE marks the accepted rows, each with its own units; a row a newer push took
    meanwhile keeps the newer quantity and is queued to be written again."""
    old, new = at(0), at(5)
    recorded = inventory.stock_record(
        location_code="WH1",
        lines=[StockLine(f"S-{n}", 10 + n) for n in range(4)],
        received_at=old,
    )
    targets = [
        inventory.StockTarget(t.pk, t.sku, t.quantity, reserved=n, write_quantity=t.quantity + n)
        for n, t in enumerate(recorded.owned)
    ]
    inventory.stock_record(location_code="WH1", lines=[StockLine("S-3", 99)], received_at=new)
    inventory.stock_settle(
        outcomes=[inventory.WriteOutcome(t, StockState.SYNCED) for t in targets],
        version=old,
        source_code="default",
    )
    rows = {r.sku: r for r in StockLevel.objects.all()}
    for n in range(3):
        row = rows[f"S-{n}"]
        assert (row.state, row.magento_quantity) == (StockState.SYNCED, 10 + n)
        assert (row.reserved_units, row.written_quantity) == (n, 10 + 2 * n)
        assert (row.magento_version, row.source_code, row.last_error) == (old, "default", "")
    moved = rows["S-3"]
    assert (moved.quantity, moved.state, moved.magento_quantity) == (99, StockState.PENDING, 13)
    assert (moved.reserved_units, moved.written_quantity) == (3, 16)
    assert Operation.objects.filter(kind=INVENTORY_PUSH, target=f"stock:{moved.pk}").exists()


def test_the_reconciliation_sums_omnis_quantities_while_magento_answers_its_reads() -> None:
    """The database work of a 50,000-SKU reconciliation runs beside the reads, not after them:
    here every read waits until the summing has started (it would time out otherwise)."""
    import threading

    started = threading.Event()

    def read() -> str:
        return "read" if started.wait(timeout=5) else "read before the sum started"

    def total() -> int:
        started.set()
        return 42

    values, other = inventory._read_in_parallel([read, read, read], total)
    assert (values, other) == (["read", "read", "read"], 42)
