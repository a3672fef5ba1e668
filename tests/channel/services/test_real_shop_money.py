"""Contract 8.2 end to end: what the shopper paid, line by line, to the cent."""

from __future__ import annotations

import pytest

from channel.models import Order
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.support.admin import login
from tests.support.flow import OmniScript, intake
from tests.support.shipping import page_text, pdf_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(settings) -> None:
    settings.SELLER_NAME = "Kavya Apparel Pvt Ltd"
    settings.SELLER_STATE = "Karnataka"
    settings.SELLER_GSTIN = "29ABCDE1234F1Z5"


def pushed(omni: OmniSimulator, order: Order) -> dict:
    return omni.orders[order.order_code]


def test_a_shipping_discount_leaves_no_shipping_charge(
    magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.add_order(
        [{"sku": "A", "qty": 1, "price": 1000}], shipping_amount=100, shipping_discount=100
    )
    (order,) = intake()
    (item,) = pushed(omni, order)["orderItems"]
    assert (item["shippingChargePerUnit"], item["channelDiscountPerUnit"]) == (0.0, 0.0)
    assert order.amount_difference is None


def test_a_partial_shipping_discount_is_spread_net(
    magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.add_order(
        [{"sku": "A", "qty": 2, "price": 500}, {"sku": "B", "qty": 1, "price": 1000}],
        shipping_amount=100,
        shipping_discount=40,
    )
    (order,) = intake()
    charges = [i["shippingChargePerUnit"] for i in pushed(omni, order)["orderItems"]]
    assert charges == [15.0, 30.0]


def test_store_credit_gift_cards_and_reward_points_are_payments_not_discounts(
    magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    payments = {
        "customer_balance_amount": 150,
        "gift_cards_amount": 50,
        "reward_currency_amount": 25,
    }
    magento.add_order([{"sku": "A", "qty": 1, "price": 1000}], payments=payments)
    (order,) = intake()
    body = pushed(omni, order)
    (item,) = body["orderItems"]
    assert (item["sellingPricePerUnit"], item["channelDiscountPerUnit"]) == (1000.0, 0.0)
    metadata = body["orderCustomAttributes"]["channelMetadata"]
    assert (metadata["storeCredit"], metadata["giftCards"], metadata["rewardPoints"]) == (
        150.0,
        50.0,
        25.0,
    )
    assert set(body["orderCustomAttributes"]) == {"currency", "channelMetadata"}
    assert order.amount_difference is None


def test_an_order_that_does_not_add_up_is_pushed_and_flagged(
    magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.add_order([{"sku": "A", "qty": 1, "price": 1000}], extra={"grand_total": 990})
    (order,) = intake()
    assert order.order_code in omni.orders
    assert order.amount_difference == 10
    page = login("root", superuser=True).get("/admin/channel/order/?amounts=differ")
    assert page.status_code == 200 and order.order_code in page.content.decode()


def test_gst_heads_reach_the_outward_order_the_invoice_and_its_pdf(
    api, magento: MagentoSimulator, omni: OmniSimulator, seller
) -> None:
    magento.add_order(
        [{"sku": "KURTA-1", "qty": 2, "price": 1180, "tax_percent": 18, "hsn": "6104"}],
        gst="intra",
        address={"region": "Karnataka"},
    )
    (order,) = intake()
    (form,) = pushed(omni, order)["taxBreakupForms"]
    assert form == {
        "channelSkuId": "KURTA-1",
        "baseSellingPricePerUnit": 1000.0,
        "taxItemForms": [
            {"type": "CGST", "rate": 9.0, "taxPerUnit": 90.0},
            {"type": "SGST", "rate": 9.0, "taxPerUnit": 90.0},
        ],
    }
    script = OmniScript(api)
    assert script.ack(order.order_code).status_code == 200
    code = script.pack(order.order_code, 7001, {"KURTA-1": 2}).json()["shipmentCode"]
    answer = script.invoice(order.order_code, code)
    assert answer.status_code == 200, answer.content
    (detail,) = answer.json()["invoiceDetails"]
    assert detail["taxItems"] == [
        {"type": "CGST", "rate": 9.0, "taxPerUnit": 90.0, "taxTotal": 180.0},
        {"type": "SGST", "rate": 9.0, "taxPerUnit": 90.0, "taxTotal": 180.0},
    ]
    text = page_text(pdf_of(answer.json()["invoice"]))
    for expected in ("HSN: 6104", "29ABCDE1234F1Z5", "Place of supply", "CGST", "SGST"):
        assert expected in text, expected


def test_an_interstate_order_carries_igst(magento: MagentoSimulator, omni: OmniSimulator) -> None:
    magento.add_order(
        [{"sku": "A", "qty": 1, "price": 1180, "tax_percent": 18}],
        gst="inter",
        address={"region": "Maharashtra"},
    )
    (order,) = intake()
    (form,) = pushed(omni, order)["taxBreakupForms"]
    assert form["taxItemForms"] == [{"type": "IGST", "rate": 18.0, "taxPerUnit": 180.0}]


def test_an_order_without_gst_heads_has_no_tax_breakup(
    magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    magento.add_order([{"sku": "A", "qty": 1, "price": 1180, "tax_percent": 18}])
    (order,) = intake()
    assert "taxBreakupForms" not in pushed(omni, order)


def test_lines_of_one_sku_are_one_omni_item_mapped_back_to_magentos_items(
    api, magento: MagentoSimulator, omni: OmniSimulator
) -> None:
    raw = magento.add_order(
        [
            {"sku": "A", "qty": 1, "price": 1000},
            {"sku": "B", "qty": 1, "price": 500},
            {"sku": "A", "qty": 2, "price": 1300, "discount": 60},
        ]
    )
    first_a, _, second_a = (i["item_id"] for i in raw["items"])
    (order,) = intake()
    items = pushed(omni, order)["orderItems"]
    assert [(i["channelSkuCode"], i["orderItemCode"], i["quantity"]) for i in items] == [
        ("A", str(first_a), 3),
        ("B", str(raw["items"][1]["item_id"]), 1),
    ]
    assert (items[0]["sellingPricePerUnit"], items[0]["channelDiscountPerUnit"]) == (1200.0, 20.0)
    script = OmniScript(api)
    assert script.ack(order.order_code).status_code == 200
    cancel = {
        "orderCode": order.order_code,
        "orderItems": [
            {"channelSkuCode": "A", "orderItemCode": str(first_a), "cancelledQuantity": 1}
        ],
    }
    assert api.put("/api/omni/orders/cancel", cancel, format="json").status_code == 200
    body = {
        "orderCode": order.order_code,
        "locationCode": "WH1",
        "shipmentId": 7101,
        "shipmentItems": [
            {"channelSkuCode": "A", "orderItemCode": str(first_a), "quantityToPack": 2},
            {"channelSkuCode": "B", "quantityToPack": 1},
        ],
    }
    packed = api.post("/api/omni/shipments/pack", body, format="json")
    assert packed.status_code == 200, packed.content
    code = packed.json()["shipmentCode"]
    answer = script.invoice(order.order_code, code)
    details = {d["channelSkuCode"]: d for d in answer.json()["invoiceDetails"]}
    assert (details["A"]["orderItemCode"], details["A"]["quantity"]) == (str(first_a), 2)
    (invoice,) = magento.invoices_for(order.entity_id)
    invoiced = {i["order_item_id"]: i["qty"] for i in invoice["items"]}
    assert (invoiced.get(first_a, 0), invoiced[second_a]) == (0, 2)  # the oldest was cancelled
