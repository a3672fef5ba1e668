"""POST and GET /api/omni/invoices (contract 4.4, 4.5): one Magento invoice per shipment."""

from __future__ import annotations

import base64
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from channel import outbox
from channel.models import (
    AuditEvent,
    Invoice,
    InvoiceState,
    Operation,
    OperationState,
    Order,
    Shipment,
)
from channel.services.orders import order_upsert
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db
URL = "/api/omni/invoices"


@pytest.fixture(autouse=True)
def _seller(settings: object) -> None:
    settings.SELLER_NAME = "Asha Fashions Pvt Ltd"
    settings.SELLER_ADDRESS_LINE1 = "4 Residency Road"
    settings.SELLER_CITY = "Bengaluru"
    settings.SELLER_STATE = "Karnataka"
    settings.SELLER_ZIP = "560025"
    settings.SELLER_GSTIN = "29ABCDE1234F1Z5"
    settings.INVOICE_AT_PACK = False


def packed(
    api: APIClient, magento: MagentoSimulator, method: str = "razorpay", qty: int = 2
) -> Shipment:
    """A prepaid configurable order (1180 incl. 18% GST per unit), packed in one shipment."""
    line = {"type": "configurable", "sku": "TEE-RED-M", "parent_sku": "TEE", "qty": qty}
    raw = magento.add_order(
        [{**line, "price": 1180, "tax_percent": 18}], payment_method=method, tax_percent=18
    )
    order = order_upsert(raw=magento.get_order(raw["entity_id"])).order
    body = {
        "orderCode": order.order_code,
        "locationCode": "WH1",
        "shipmentId": 501,
        "shipmentItems": [{"channelSkuCode": "TEE-RED-M", "quantityToPack": qty}],
    }
    assert api.post("/api/omni/shipments/pack", body, format="json").status_code == 200
    return Shipment.objects.get(shipment_id=501)


def create(api: APIClient, shipment: Shipment) -> object:
    body = {"orderCode": shipment.order.order_code, "shipmentCode": shipment.shipment_code}
    return api.post(URL, body, format="json")


def get(api: APIClient, shipment: Shipment) -> object:
    query = {"orderCode": shipment.order.order_code, "shipmentCode": shipment.shipment_code}
    return api.get(URL, query)


DETAILS = [
    {
        "channelSkuCode": "TEE-RED-M",
        "orderItemCode": "2",
        "quantity": 2,
        "baseSellingPricePerUnit": 1000.0,
        "baseSellingPriceTotal": 2000.0,
        "actualSellingPricePerUnit": 1180.0,
        "actualSellingPriceTotal": 2360.0,
        "netTaxAmountPerUnit": 180.0,
        "netTaxAmountTotal": 360.0,
        "taxItems": [{"type": "GST", "rate": 18.0, "taxPerUnit": 180.0, "taxTotal": 360.0}],
    }
]


def test_it_creates_the_invoice_at_once_and_answers_it(
    api: APIClient, magento: MagentoSimulator
) -> None:
    shipment = packed(api, magento)
    response = create(api, shipment)
    assert response.status_code == 200
    body = response.json()
    assert body["invoiceCode"] == "000000001"
    assert body["invoiceDate"] == "2026-01-31T09:00:00.000+00:00"
    assert body["invoiceDetails"] == DETAILS
    assert base64.b64decode(body["invoice"]).startswith(b"%PDF")
    assert body["invoiceUrl"].startswith("http://testserver/documents/")
    download = Client().get(body["invoiceUrl"])
    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert download.content == base64.b64decode(body["invoice"])
    sent = magento.calls("POST", "/invoice$")[0].json
    assert sent == {"capture": True, "items": [{"order_item_id": 1, "qty": 2}], "notify": False}
    assert AuditEvent.objects.get(action="order.invoiced").message == (
        "Magento invoice 000000001 created (captured)"
    )
    assert shipment.order.lines.get().qty_invoiced == 2


def test_get_answers_the_same_invoice(api: APIClient, magento: MagentoSimulator) -> None:
    shipment = packed(api, magento)
    created = create(api, shipment).json()
    again = get(api, shipment).json()
    assert {k: v for k, v in again.items() if k != "invoiceUrl"} == {
        k: v for k, v in created.items() if k != "invoiceUrl"
    }
    assert create(api, shipment).json()["invoice"] == created["invoice"]
    assert len(magento.invoices) == 1


@pytest.mark.parametrize(
    ("method", "capture"), [("cashondelivery", False), ("checkmo", False), ("razorpay", True)]
)
def test_it_captures_online_methods_only(
    api: APIClient, magento: MagentoSimulator, method: str, capture: bool
) -> None:
    create(api, packed(api, magento, method=method))
    assert magento.calls("POST", "/invoice$")[0].json["capture"] is capture


def test_the_offline_methods_are_configurable(
    api: APIClient, magento: MagentoSimulator, settings: object
) -> None:
    settings.MAGENTO_OFFLINE_PAYMENT_METHODS = ["razorpay"]
    create(api, packed(api, magento, method="razorpay"))
    assert magento.calls("POST", "/invoice$")[0].json["capture"] is False


def test_a_lost_answer_is_read_back_and_never_invoiced_twice(
    api: APIClient, magento: MagentoSimulator
) -> None:
    shipment = packed(api, magento)
    magento.inject("POST", "/invoice$", "timeout_after")
    response = create(api, shipment)
    assert response.status_code == 409
    assert response.json()["errorMessage"].startswith(
        "The invoice for shipment 000000001-1 of order 000000001 is pending in Magento; "
        "last error: Magento did not answer: POST /rest/default/V1/order/1/invoice timed out"
    )
    assert len(magento.invoices) == 1  # Magento made it; the answer was lost
    assert create(api, shipment).status_code == 200  # Omni asks again: read back, adopted
    assert len(magento.invoices) == 1
    assert len(magento.calls("POST", "/invoice$")) == 1
    assert Operation.objects.get(kind="magento.create_invoice").result["readBack"] is True


def test_the_outbox_reads_back_before_retrying(api: APIClient, magento: MagentoSimulator) -> None:
    shipment = packed(api, magento)
    Invoice.objects.create(order=shipment.order, shipment=shipment)
    operation = outbox.enqueue(
        "magento.create_invoice", key="inv", order=shipment.order, payload={"shipment": shipment.pk}
    )
    magento.inject("POST", "/invoice$", "timeout_after")
    assert outbox.run_operation(operation.pk) == OperationState.PENDING
    Operation.objects.filter(pk=operation.pk).update(next_attempt_at=operation.created_at)
    assert outbox.run_operation(operation.pk) == OperationState.DONE
    assert len(magento.invoices) == 1
    assert get(api, shipment).status_code == 200


def test_it_answers_409_with_the_reason_when_magento_refuses(
    api: APIClient, magento: MagentoSimulator
) -> None:
    shipment = packed(api, magento)
    magento.hold(shipment.order.entity_id)
    response = create(api, shipment)
    assert response.status_code == 409
    assert response.json()["errorMessage"] == (
        "Magento refused the invoice for order 000000001: Invoice Document Validation Error(s):\n"
        "An invoice cannot be created when an order has a status of holded"
    )
    assert get(api, shipment).json() == response.json()
    operation = Operation.objects.get(kind="magento.create_invoice")
    assert operation.state == OperationState.FAILED
    assert AuditEvent.objects.filter(action="order.invoice_refused").count() == 1


def test_it_answers_409_when_the_order_allows_no_invoice(
    api: APIClient, magento: MagentoSimulator
) -> None:
    shipment = packed(api, magento)
    magento.cancel(shipment.order.entity_id)  # cancelled in Magento: nothing left to invoice
    response = create(api, shipment)
    assert response.status_code == 409
    assert (
        "An invoice cannot be created when an order has a status of canceled"
        in (response.json()["errorMessage"])
    )
    assert Invoice.objects.get().state == InvoiceState.FAILED


def test_it_adopts_the_invoice_magento_made_itself_instead_of_a_second_one(
    api: APIClient, magento: MagentoSimulator
) -> None:
    shipment = packed(api, magento)
    magento.invoice(shipment.order.entity_id)  # e.g. at payment capture
    response = create(api, shipment)
    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.adopted) == (InvoiceState.CREATED, True)
    assert response.json()["invoiceCode"] == invoice.invoice_number
    assert len(magento.invoices_for(shipment.order.entity_id)) == 1


def test_get_answers_404_when_there_is_no_invoice(
    api: APIClient, magento: MagentoSimulator
) -> None:
    shipment = packed(api, magento)
    response = get(api, shipment)
    assert response.status_code == 404
    assert response.json()["errorMessage"] == (
        "There is no invoice for shipment 000000001-1 of order 000000001."
    )


def test_get_answers_409_while_the_invoice_is_pending(
    api: APIClient, magento: MagentoSimulator, settings: object
) -> None:
    settings.INVOICE_AT_PACK = True
    shipment = packed(api, magento)
    response = get(api, shipment)
    assert (response.status_code, response.json()["errorMessage"]) == (
        409,
        "The invoice for shipment 000000001-1 of order 000000001 is pending in Magento.",
    )
    outbox.run_due()
    assert get(api, shipment).status_code == 200


def test_it_answers_in_time_while_magento_is_down_and_finishes_later(
    api: APIClient, magento: MagentoSimulator
) -> None:
    shipment = packed(api, magento)
    magento.latency_seconds = 30  # hangs: every call runs into its read timeout
    started = time.monotonic()
    response = create(api, shipment)
    elapsed = time.monotonic() - started
    assert response.status_code == 409 and elapsed < 10
    magento.latency_seconds = 0
    Operation.objects.filter(kind="magento.create_invoice").update(
        next_attempt_at=shipment.created_at
    )
    outbox.run_due()
    assert len(magento.invoices) == 1
    assert get(api, shipment).status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"orderCode": "NOPE", "shipmentCode": "X"}, 404, "Order NOPE is unknown."),
        (
            {"orderCode": "000000001", "shipmentCode": "000000001-9"},
            404,
            "Order 000000001 has no shipment 000000001-9.",
        ),
        ({"orderCode": "000000001"}, 400, "Invalid request: shipmentCode: This field is required."),
    ],
)
def test_it_refuses_unknown_or_missing_codes(
    api: APIClient, magento: MagentoSimulator, query: dict, status: int, message: str
) -> None:
    packed(api, magento)
    for response in (api.get(URL, query), api.post(URL, query, format="json")):
        assert (response.status_code, response.json()["errorMessage"]) == (status, message)


def test_the_pdf_carries_the_seller_and_the_lines(
    api: APIClient, magento: MagentoSimulator
) -> None:
    from channel.services.invoices import invoice_doc

    shipment = packed(api, magento)
    create(api, shipment)
    doc = invoice_doc(Invoice.objects.get())
    assert (doc.seller_name, doc.seller_gstin, doc.seller_address.city) == (
        "Asha Fashions Pvt Ltd",
        "29ABCDE1234F1Z5",
        "Bengaluru",
    )
    assert (doc.invoice_number, doc.order_code, doc.shipment_code) == (
        "000000001",
        "000000001",
        "000000001-1",
    )
    assert [(line.sku, line.quantity, line.line_total) for line in doc.lines] == [
        ("TEE-RED-M", 2, 2360)
    ]
    assert (doc.subtotal, doc.tax_total, doc.grand_total) == (2000, 360, 2360)
    assert Order.objects.get().lines.get().qty_invoiced == 2
