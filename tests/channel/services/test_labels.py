"""GET /api/omni/shipping-label (contract 4.6)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from channel.models import AuditEvent, AwbSeries, CallRecord, Document, Shipment, ShipmentState
from channel.services.awb import shipment_assign_awb
from channel.services.labels import shipment_cod_amount
from channel.services.orders import order_upsert
from simulators.magento import MagentoSimulator
from tests.support import magento_orders as mo
from tests.support.shipping import (
    add_series,
    barcodes,
    make_location,
    make_shipment,
    mirror_order,
    page_text,
    pdf_of,
)

pytestmark = pytest.mark.django_db
URL = "/api/omni/shipping-label"


@pytest.fixture
def warehouse(db: None) -> None:
    make_location("WH1")
    add_series(start=1490821234567, end=1490821239999, prefix="")


def get_label(api: APIClient, **params: object) -> dict:
    query = {"orderCode": "000000100", "shipmentCode": "000000100-1"} | params
    response = api.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_it_answers_the_awb_transporter_and_label(api: APIClient, warehouse: None) -> None:
    make_shipment(mirror_order())

    body = get_label(api, shipmentId=100001, locationCode="WH1")

    assert sorted(body) == ["awbNumber", "shippingLabel", "shippingLabelUrl", "transporter"]
    assert (body["awbNumber"], body["transporter"]) == ("1490821234567", "Delhivery")
    assert body["shippingLabelUrl"].startswith("http://testserver/documents/")
    assert body["shippingLabelUrl"].endswith("/label.pdf")
    assert api.get(body["shippingLabelUrl"]).content == pdf_of(body["shippingLabel"])


def test_it_prints_a_label_a_warehouse_can_scan(api: APIClient, warehouse: None) -> None:
    make_shipment(mirror_order(method="cashondelivery", grand_total=2360))

    pdf = pdf_of(get_label(api)["shippingLabel"])

    assert barcodes(pdf) == ["1490821234567", "000000100"]
    text = page_text(pdf)
    for expected in (
        "DELHIVERY",
        "Asha Rao",  # to: the order's shipping address
        "12 MG Road, Indiranagar",
        "PIN 560038",
        "Kavya Lifestyle Pvt. Ltd.",  # from: the location's address
        "Plot 14, KIADB Industrial Area",
        "000000100-1",
        "1.25 kg",
        "30x22x12.5 cm",
        "COD: COLLECT Rs. 2,360.00",
    ):
        assert expected in text, expected


def test_it_prints_prepaid_orders_without_an_amount(api: APIClient, warehouse: None) -> None:
    make_shipment(mirror_order(method="checkmo", grand_total=2360))

    text = page_text(pdf_of(get_label(api)["shippingLabel"]))

    assert "PREPAID - DO NOT COLLECT CASH" in text and "COLLECT Rs." not in text


def test_it_answers_the_same_awb_and_document_on_repeat(api: APIClient, warehouse: None) -> None:
    make_shipment(mirror_order())

    first, second = get_label(api), get_label(api)

    assert first["awbNumber"] == second["awbNumber"] == "1490821234567"
    assert first["shippingLabel"] == second["shippingLabel"]
    assert Document.objects.count() == 1
    assert AwbSeries.objects.get().next_number == 1490821234568
    assert AuditEvent.objects.filter(action="document.label_rendered").count() == 1


def test_it_renders_the_label_again_when_its_data_changes(api: APIClient, warehouse: None) -> None:
    shipment = make_shipment(mirror_order())
    first = get_label(api)

    shipment_assign_awb(shipment=shipment, awb="SF123", transporter="Shadowfax", actor="asha")
    second = get_label(api)

    assert (second["awbNumber"], second["transporter"]) == ("SF123", "Shadowfax")
    assert barcodes(pdf_of(second["shippingLabel"])) == ["SF123", "000000100"]
    assert Document.objects.count() == 1  # the same row, new content
    assert api.get(first["shippingLabelUrl"]).status_code == 404  # the old version is gone
    assert api.get(second["shippingLabelUrl"]).status_code == 200


def test_it_prefers_an_awb_assigned_by_support_staff(api: APIClient, warehouse: None) -> None:
    shipment = make_shipment(mirror_order())
    shipment_assign_awb(shipment=shipment, awb="BD-555", transporter="Blue Dart", actor="asha")

    body = get_label(api)

    assert (body["awbNumber"], body["transporter"]) == ("BD-555", "Blue Dart")
    assert AwbSeries.objects.get().next_number == 1490821234567  # nothing allocated


def shipped_in_magento(magento: MagentoSimulator, **fields: object) -> Shipment:
    """An order shipped in the fake Magento with a Blue Dart track, and its proxy shipment."""
    raw = magento.add_order([{"sku": "SKU-1", "qty": 1, "price": 1180}], state="processing")
    tracks = [{"track_number": "MAG-778899", "title": "Blue Dart", "carrier_code": "custom"}]
    magento_id = magento.ship(raw["entity_id"], tracks=tracks)
    order = order_upsert(raw=magento.get_order(raw["entity_id"])).order
    return make_shipment(order, magento_shipment_id=magento_id, **fields)


def test_it_takes_the_tracking_number_of_the_magento_shipment(
    api: APIClient, warehouse: None, magento: MagentoSimulator
) -> None:
    shipment = shipped_in_magento(
        magento, awb_number="1490821234567", transporter="Delhivery", state=ShipmentState.SHIPPED
    )

    body = get_label(api, orderCode=shipment.order.order_code, shipmentCode=shipment.shipment_code)

    assert (body["awbNumber"], body["transporter"]) == ("MAG-778899", "Blue Dart")
    path = f"/rest/default/V1/shipment/{shipment.magento_shipment_id}"
    assert [r.path for r in magento.calls("GET", "/V1/shipment/")] == [path]
    assert Shipment.objects.get().awb_source == "magento"
    assert AuditEvent.objects.get(action="shipment.awb_adopted").actor == "magento"
    call = CallRecord.objects.get(system="magento")
    assert (call.path, call.order) == (path, shipment.order)


def test_it_uses_the_next_source_when_magento_does_not_answer(
    api: APIClient, warehouse: None, magento: MagentoSimulator
) -> None:
    magento.inject("GET", r"/V1/shipment/", "timeout_before")
    shipment = shipped_in_magento(magento)

    body = get_label(api, orderCode=shipment.order.order_code, shipmentCode=shipment.shipment_code)

    assert body["awbNumber"] == "1490821234567"
    assert CallRecord.objects.get(system="magento").error.startswith("timeout")


def test_it_reads_magento_with_the_short_read_timeout(
    api: APIClient, warehouse: None, magento: MagentoSimulator, settings: object
) -> None:
    settings.MAGENTO_READ_TIMEOUT = 0.2  # type: ignore[attr-defined]
    shipment = shipped_in_magento(magento, awb_number="A-1", transporter="Ekart")
    magento.latency_seconds = 5

    body = get_label(api, orderCode=shipment.order.order_code, shipmentCode=shipment.shipment_code)

    assert body["awbNumber"] == "A-1"


# --- refusals ------------------------------------------------------------------------------------


def refusal(api: APIClient, status: int, **params: object) -> str:
    response = api.get(URL, params)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["hasError"] is True
    return body["errorMessage"]


def test_it_answers_409_when_no_awb_is_left(api: APIClient, warehouse: None) -> None:
    AwbSeries.objects.update(next_number=1490821239999 + 1)
    make_shipment(mirror_order())

    message = refusal(api, 409, orderCode="000000100", shipmentCode="000000100-1")

    assert message == (
        "No AWB available for shipment 000000100-1: courier Delhivery has no AWB numbers left "
        "for location WH1; add a series in admin or with `manage.py add_awb_series`."
    )
    assert not Document.objects.exists()


def test_it_answers_409_when_the_location_has_no_address(api: APIClient) -> None:
    add_series()
    make_shipment(mirror_order())

    message = refusal(api, 409, orderCode="000000100", shipmentCode="000000100-1")

    assert message == (
        "Location WH1 has no warehouse address in the proxy; add it in admin (Locations) so "
        "labels and manifests can show it."
    )


def test_it_answers_409_for_an_awb_that_cannot_be_printed(api: APIClient, warehouse: None) -> None:
    make_shipment(mirror_order(), awb_number="AWB–1", transporter="Delhivery")

    message = refusal(api, 409, orderCode="000000100", shipmentCode="000000100-1")

    assert message.startswith("The AWB 'AWB–1' of shipment 000000100-1 cannot be printed (")
    assert message.endswith("); replace it in admin.")


def test_it_answers_409_for_a_cancelled_shipment(api: APIClient, warehouse: None) -> None:
    make_shipment(mirror_order(), state=ShipmentState.CANCELLED)

    message = refusal(api, 409, orderCode="000000100", shipmentCode="000000100-1")

    assert message == "Shipment 000000100-1 is cancelled; it has no label."


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"orderCode": "000000999", "shipmentCode": "000000100-1"}, "Order 000000999 is unknown."),
        (
            {"orderCode": "000000100", "shipmentCode": "000000100-9"},
            "Shipment 000000100-9 is unknown.",
        ),
        ({"orderCode": "000000100", "shipmentId": 7}, "No shipment has shipmentId 7."),
    ],
)
def test_it_answers_404_for_an_unknown_order_or_shipment(
    api: APIClient, warehouse: None, params: dict, message: str
) -> None:
    make_shipment(mirror_order())

    assert refusal(api, 404, **params) == message


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"orderCode": "000000200", "shipmentCode": "000000100-1"},
            "Shipment 000000100-1 belongs to order 000000100, not 000000200.",
        ),
        (
            {"orderCode": "000000100", "shipmentCode": "000000100-1", "locationCode": "WH2"},
            "Shipment 000000100-1 is at location WH1, not WH2.",
        ),
        (
            {"orderCode": "000000100", "shipmentCode": "000000100-1", "shipmentId": 200001},
            "shipmentId 200001 is shipment 000000200-1, not 000000100-1.",
        ),
        ({"orderCode": "000000100"}, "Invalid request: shipmentCode: shipmentCode is required."),
        (
            {"orderCode": "000000100", "shipmentId": "x"},
            "Invalid request: shipmentId: A valid integer is required.",
        ),
        ({"shipmentCode": "000000100-1"}, "Invalid request: orderCode: This field is required."),
    ],
)
def test_it_answers_400_for_a_shipment_of_another_order_or_bad_parameters(
    api: APIClient, warehouse: None, params: dict, message: str
) -> None:
    make_shipment(mirror_order(100))
    make_shipment(mirror_order(200))

    assert refusal(api, 400, **params) == message


# --- cash on delivery ----------------------------------------------------------------------------


def test_it_collects_each_parcels_share_of_a_cod_order(warehouse: None) -> None:
    items = [mo.item(1001, "SKU-1", 2, 1000.0), mo.item(1002, "SKU-2", 1, 500.0)]
    order = mirror_order(items=items, method="cashondelivery", grand_total=2600)
    first = make_shipment(order, 1, quantities={"SKU-1": 2})
    second = make_shipment(order, 2, quantities={"SKU-2": 1})

    # 2600 (incl. 100 shipping) split by value: 2000 / 2500 and 500 / 2500
    assert shipment_cod_amount(first) == Decimal("2080.00")
    assert shipment_cod_amount(second) == Decimal("520.00")


def test_it_collects_nothing_for_prepaid_orders(warehouse: None) -> None:
    order = mirror_order(method="checkmo", grand_total=2360)

    assert shipment_cod_amount(make_shipment(order)) == Decimal("0")


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_distinct_awbs_to_200_parallel_label_requests(omni_key: str) -> None:
    make_location("WH1")
    add_series(start=1, end=10_000)
    shipments = [make_shipment(mirror_order(100 + n)) for n in range(50)]

    def fetch(index: int) -> tuple[str, str]:
        shipment = shipments[index % 50]
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=omni_key)
        try:
            response = client.get(
                URL,
                {"orderCode": shipment.order.order_code, "shipmentCode": shipment.shipment_code},
            )
            assert response.status_code == 200, response.content
            return shipment.shipment_code, response.json()["awbNumber"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(fetch, range(200)))

    awb_of: dict[str, set[str]] = {}
    for code, awb in answers:
        awb_of.setdefault(code, set()).add(awb)
    assert all(len(awbs) == 1 for awbs in awb_of.values())  # every repeat: the same AWB
    assert len({awb for awbs in awb_of.values() for awb in awbs}) == 50  # no AWB twice
    assert AwbSeries.objects.get().next_number == 51
    assert Document.objects.count() == 50
