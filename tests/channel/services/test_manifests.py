"""POST and GET /api/omni/manifests (contract 4.7)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from channel.models import (
    AuditEvent,
    AwbSource,
    Document,
    Manifest,
    ManifestItem,
    Shipment,
    ShipmentState,
)
from tests.support.shipping import (
    barcodes,
    make_location,
    make_shipment,
    mirror_order,
    page_text,
    pdf_of,
)

pytestmark = pytest.mark.django_db
URL = "/api/omni/manifests"


@pytest.fixture
def packed(db: None) -> list[Shipment]:
    """Two packed shipments at WH1 with Delhivery AWBs, one COD, and one without an AWB."""
    make_location("WH1")
    make_location("WH2")
    cod = mirror_order(100, method="cashondelivery", grand_total=2360)
    prepaid = mirror_order(200, grand_total=1180)
    return [
        make_shipment(cod, awb_number="AWB100", transporter="Delhivery", box_awbs=["B1", "B2"]),
        make_shipment(prepaid, awb_number="AWB200", transporter="Delhivery"),
        make_shipment(mirror_order(300)),
    ]


def item(order: int, awb: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "orderCode": f"{order:09d}",
        "shipmentCode": f"{order:09d}-1",
        "awbNumber": awb,
        **extra,
    }


def body(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "transporter": "Delhivery",
        "locationCode": "WH1",
        "manifestId": 87456,
        "manifestItems": list(items),
    } | fields


def today_code(number: int, location: str = "WH1") -> str:
    return f"MF-{location}-{timezone.now():%Y%m%d}-{number:04d}"


def refusal(api: APIClient, payload: dict[str, Any], status: int) -> dict[str, Any]:
    response = api.post(URL, payload, format="json")
    assert response.status_code == status, response.content
    answer = response.json()
    assert answer["hasError"] is True
    assert not Manifest.objects.exists()
    return answer


# --- creating ------------------------------------------------------------------------------------


def test_it_creates_a_manifest_with_a_generated_code(
    api: APIClient, packed: list[Shipment]
) -> None:
    response = api.post(URL, body(item(100, "AWB100"), item(200, "AWB200")), format="json")

    assert response.status_code == 200
    assert response.json() == {
        "manifestCode": today_code(1),
        "manifestItems": [
            {"orderCode": "000000100", "shipmentCode": "000000100-1"},
            {"orderCode": "000000200", "shipmentCode": "000000200-1"},
        ],
    }
    manifest = Manifest.objects.get()
    assert (manifest.manifest_id, manifest.transporter, manifest.location_code) == (
        87456,
        "Delhivery",
        "WH1",
    )
    assert Document.objects.filter(kind="manifest", key=manifest.manifest_code).exists()
    assert AuditEvent.objects.filter(action="order.manifested").count() == 2


def test_it_numbers_manifests_per_location_and_day(api: APIClient, packed: list[Shipment]) -> None:
    make_shipment(mirror_order(400), location="WH2", awb_number="AWB400", transporter="Delhivery")
    first = api.post(URL, body(item(100, "AWB100"), manifestId=1), format="json").json()
    second = api.post(URL, body(item(200, "AWB200"), manifestId=2), format="json").json()
    other = api.post(
        URL, body(item(400, "AWB400"), manifestId=3, locationCode="WH2"), format="json"
    ).json()

    assert [first["manifestCode"], second["manifestCode"], other["manifestCode"]] == [
        today_code(1),
        today_code(2),
        today_code(1, "WH2"),
    ]


def test_it_adopts_the_awb_of_a_shipment_that_has_none(
    api: APIClient, packed: list[Shipment]
) -> None:
    response = api.post(URL, body(item(300, "DLV-300300")), format="json")

    assert response.status_code == 200
    shipment = Shipment.objects.get(shipment_code="000000300-1")
    assert (shipment.awb_number, shipment.transporter, shipment.awb_source) == (
        "DLV-300300",
        "Delhivery",
        AwbSource.OMNI,
    )
    event = AuditEvent.objects.get(action="order.manifested")
    assert (event.actor, event.message) == (
        "omni",
        f"On manifest {today_code(1)} (Delhivery); AWB DLV-300300 adopted from Omni",
    )
    assert shipment.history.first().history_change_reason == "manifest"


def test_it_accepts_a_shipment_without_awbnumber_when_it_has_one(
    api: APIClient, packed: list[Shipment]
) -> None:
    payload = body({"orderCode": "000000100", "shipmentCode": "000000100-1"}, manifestId="87456")

    assert api.post(URL, payload, format="json").status_code == 200
    assert Manifest.objects.get().manifest_id == 87456


def test_it_keeps_the_box_awbs_in_either_spelling(api: APIClient, packed: list[Shipment]) -> None:
    boxes = [{"boxId": 1, "awbNumber": "AWB100"}, {"boxId": 2, "awbNumber": "AWB100-2"}]
    payload = body(item(100, "AWB100", packboxDetailsList=boxes), item(200, "AWB200"))

    assert api.post(URL, payload, format="json").status_code == 200

    items = {i.shipment.shipment_code: i.box_awbs for i in ManifestItem.objects.all()}
    assert items == {
        "000000100-1": [
            {"boxId": "1", "awbNumber": "AWB100"},
            {"boxId": "2", "awbNumber": "AWB100-2"},
        ],
        "000000200-1": [],
    }


# --- idempotency ---------------------------------------------------------------------------------


def test_it_answers_a_repeated_manifest_id_with_the_same_bytes(
    api: APIClient, packed: list[Shipment]
) -> None:
    payload = body(item(100, "AWB100"), item(200, "AWB200"))
    first = api.post(URL, payload, format="json")
    reordered = body(item(200, "AWB200"), item(100, "AWB100"))
    second = api.post(URL, reordered, format="json")

    assert (second.status_code, second.content) == (200, first.content)
    assert Manifest.objects.count() == 1


def test_it_refuses_a_manifest_id_reused_for_other_shipments(
    api: APIClient, packed: list[Shipment]
) -> None:
    api.post(URL, body(item(100, "AWB100")), format="json")

    response = api.post(URL, body(item(200, "AWB200")), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "hasError": True,
        "errorMessage": "manifestId 87456 was already used for a different request.",
    }


def test_it_is_idempotent_on_the_set_of_shipments_without_a_manifest_id(
    api: APIClient, packed: list[Shipment]
) -> None:
    payload = body(item(100, "AWB100"), item(200, "AWB200"), manifestId=None)
    first = api.post(URL, payload, format="json")
    second = api.post(URL, payload, format="json")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert Manifest.objects.get().manifest_id is None


def test_it_answers_the_same_manifest_when_only_its_stored_answer_was_lost(
    api: APIClient, packed: list[Shipment]
) -> None:
    from channel.models import IdempotencyRecord

    first = api.post(URL, body(item(100, "AWB100")), format="json")
    IdempotencyRecord.objects.all().delete()

    second = api.post(URL, body(item(100, "AWB100")), format="json")

    assert (second.status_code, second.json()) == (200, first.json())


# --- refusals ------------------------------------------------------------------------------------


def test_it_answers_404_for_unknown_shipments_and_records_nothing(
    api: APIClient, packed: list[Shipment]
) -> None:
    payload = body(item(100, "AWB100"), item(900, "X"), item(901, "Y"))

    assert refusal(api, payload, 404) == {
        "hasError": True,
        "errorMessage": "Shipment 000000900-1 is unknown. (and 1 more problem(s))",
        "errors": {
            "manifestItems[1].shipmentCode": ["Shipment 000000900-1 is unknown."],
            "manifestItems[2].shipmentCode": ["Shipment 000000901-1 is unknown."],
        },
    }


@pytest.mark.parametrize(
    ("payload", "path", "message"),
    [
        (
            body(item(100, "AWB100", orderCode="000000200")),
            "manifestItems[0].orderCode",
            "Shipment 000000100-1 belongs to order 000000100, not 000000200.",
        ),
        (
            body(item(100, "AWB100"), locationCode="WH2"),
            "manifestItems[0].shipmentCode",
            "Shipment 000000100-1 is at location WH1, not WH2.",
        ),
        (
            body(item(100, "AWB999")),
            "manifestItems[0].awbNumber",
            "Shipment 000000100-1 has AWB AWB100, not AWB999.",
        ),
        (
            body(item(100, "AWB100"), transporter="Blue Dart"),
            "transporter",
            "Shipment 000000100-1 goes with Delhivery, not Blue Dart.",
        ),
        (
            body(item(300)),
            "manifestItems[0].awbNumber",
            "Shipment 000000300-1 has no AWB yet; send its awbNumber.",
        ),
    ],
    ids=["other-order", "other-location", "other-awb", "other-transporter", "no-awb"],
)
def test_it_answers_400_for_a_shipment_that_does_not_match(
    api: APIClient, packed: list[Shipment], payload: dict, path: str, message: str
) -> None:
    assert refusal(api, payload, 400) == {
        "hasError": True,
        "errorMessage": message,
        "errors": {path: [message]},
    }


def test_it_compares_transporters_without_case_or_spacing(
    api: APIClient, packed: list[Shipment]
) -> None:
    payload = body(item(100, "AWB100"), transporter=" DELHIVERY ")

    assert api.post(URL, payload, format="json").status_code == 200


def test_it_answers_409_for_a_cancelled_shipment(api: APIClient, packed: list[Shipment]) -> None:
    Shipment.objects.filter(shipment_code="000000100-1").update(state=ShipmentState.CANCELLED)

    answer = refusal(api, body(item(100, "AWB100")), 409)

    assert answer["errorMessage"] == "Shipment 000000100-1 is cancelled."


def test_it_answers_409_for_a_shipment_on_another_manifest(
    api: APIClient, packed: list[Shipment]
) -> None:
    api.post(URL, body(item(100, "AWB100"), manifestId=1), format="json")

    response = api.post(URL, body(item(100, "AWB100"), item(200, "AWB200")), format="json")

    assert response.status_code == 409
    assert response.json()["errorMessage"] == (
        f"Shipment 000000100-1 is already on manifest {today_code(1)}."
    )
    assert Manifest.objects.count() == 1


def test_it_answers_409_when_the_adopted_awb_is_on_another_shipment(
    api: APIClient, packed: list[Shipment]
) -> None:
    answer = refusal(api, body(item(300, "AWB100")), 409)

    assert answer["errorMessage"] == "AWB AWB100 is already on shipment 000000100-1."
    assert Shipment.objects.get(shipment_code="000000300-1").awb_number == ""


def test_it_answers_409_when_two_shipments_would_adopt_the_same_awb(
    api: APIClient, packed: list[Shipment]
) -> None:
    make_shipment(mirror_order(400))

    answer = refusal(api, body(item(300, "NEW-1"), item(400, "NEW-1")), 409)

    assert answer["errors"] == {
        "manifestItems[1].awbNumber": ["AWB NEW-1 is already on shipment 000000300-1."]
    }


def test_it_answers_409_when_the_location_has_no_address(
    api: APIClient, packed: list[Shipment]
) -> None:
    make_shipment(mirror_order(400), location="WH9", awb_number="A4", transporter="Delhivery")

    answer = refusal(api, body(item(400, "A4"), locationCode="WH9"), 409)

    assert answer["errorMessage"].startswith("Location WH9 has no warehouse address")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "Invalid request: transporter: This field is required. (and 2 more)"),
        (body(), "Invalid request: manifestItems: This list may not be empty."),
        (
            body(item(100), manifestId="abc"),
            "Invalid request: manifestId: A valid integer is required.",
        ),
        (
            body(item(100), transporter="x" * 256),
            "Invalid request: transporter: Ensure this field has no more than 255 characters.",
        ),
        (
            body(item(100, "AWB100"), item(100, "AWB100")),
            "Invalid request: manifestItems[1].shipmentCode: 000000100-1 is listed twice.",
        ),
        (
            body({"orderCode": "000000100"}),
            "Invalid request: manifestItems[0].shipmentCode: This field is required.",
        ),
    ],
)
def test_it_answers_400_for_a_malformed_request(
    api: APIClient, packed: list[Shipment], payload: dict, message: str
) -> None:
    assert refusal(api, payload, 400)["errorMessage"] == message


# --- the manifest document -----------------------------------------------------------------------


def test_it_serves_a_manifest_pdf_a_courier_can_scan(
    api: APIClient, packed: list[Shipment]
) -> None:
    code = api.post(URL, body(item(100, "AWB100"), item(200, "AWB200")), format="json").json()

    response = api.get(URL, {"manifestCode": code["manifestCode"]})

    assert response.status_code == 200
    answer = response.json()
    assert sorted(answer) == ["manifest", "manifestUrl"]
    pdf = pdf_of(answer["manifest"])
    assert barcodes(pdf) == ["AWB100", "AWB200"]
    text = page_text(pdf)
    for expected in (
        "COURIER MANIFEST",
        code["manifestCode"],
        "Delhivery",
        "Kavya Lifestyle Pvt. Ltd.",
        "000000100-1",
        "Total: 2 shipments",
        "Rs. 2,360.00",  # COD to collect: the first order's grand total
        "Received by (courier)",
    ):
        assert expected in text, expected
    assert api.get(answer["manifestUrl"]).content == pdf


def test_it_serves_the_same_manifest_document_on_repeat(
    api: APIClient, packed: list[Shipment]
) -> None:
    code = api.post(URL, body(item(100, "AWB100")), format="json").json()["manifestCode"]

    first = api.get(URL, {"manifestCode": code}).json()
    second = api.get(URL, {"manifestCode": code}).json()

    assert first["manifest"] == second["manifest"]
    assert Document.objects.filter(kind="manifest").count() == 1
    assert AuditEvent.objects.filter(action="document.manifest_rendered").count() == 1


def test_it_prints_the_manifest_date_from_its_creation(
    api: APIClient, packed: list[Shipment]
) -> None:
    code = api.post(URL, body(item(100, "AWB100")), format="json").json()["manifestCode"]
    Manifest.objects.update(created_at=datetime(2026, 1, 31, 10, 30, tzinfo=UTC))

    answer = api.get(URL, {"manifestCode": code}).json()

    assert "31-Jan-2026 16:00 IST" in page_text(pdf_of(answer["manifest"]))


def test_it_answers_404_for_an_unknown_manifest_code(api: APIClient) -> None:
    response = api.get(URL, {"manifestCode": "MF-WH1-20260131-0042"})

    assert response.status_code == 404
    assert response.json() == {
        "hasError": True,
        "errorMessage": "Manifest MF-WH1-20260131-0042 is unknown.",
    }


def test_it_answers_400_without_a_manifest_code(api: APIClient) -> None:
    response = api.get(URL)

    assert response.status_code == 400
    assert (
        response.json()["errorMessage"] == "Invalid request: manifestCode: This field is required."
    )


# --- admin ---------------------------------------------------------------------------------------


def test_it_shows_a_printable_manifest_in_admin(
    api: APIClient, packed: list[Shipment], admin_client: Client
) -> None:
    api.post(URL, body(item(100, "AWB100"), item(200, "AWB200")), format="json")
    manifest = Manifest.objects.get()

    listing = admin_client.get("/admin/channel/manifest/").content.decode()
    page = admin_client.get(f"/admin/channel/manifest/{manifest.pk}/print/")
    pdf = admin_client.get(f"/admin/channel/manifest/{manifest.pk}/pdf/")

    assert f"/admin/channel/manifest/{manifest.pk}/pdf/" in listing
    assert page.status_code == 200
    html = page.content.decode()
    expected_parts = ("data-print", "channel/print.js", "AWB100", "AWB200", "Total: 2 shipments")
    for expected in (*expected_parts, "<iframe"):
        assert expected in html, expected
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert barcodes(pdf.content) == ["AWB100", "AWB200"]
