"""Real-shop behaviour around payments and shipments (contract 8.3, 8.5): prepaid orders invoiced
and captured at placement, credit memos for an invoice (``POST /V1/invoice/{id}/refund``, online
only for an invoice captured online), and a switchable courier extension that gives every new
shipment a track and a ``shipping_label``; tracks added later (``POST /V1/shipment/track``) and
shipment e-mails (``POST /V1/shipment/{id}/emails``)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from simulators.base import RecordedRequest, SimResponse
from simulators.magento.common import (
    MSG_ID_NEEDED,
    MagentoError,
    _not_found,
    _required,
    parse_int,
    snake_keys,
)
from simulators.magento.documents import _Doc, refund_arguments

MSG_MEMO_INVOICE = "We can't create creditmemo for the invoice."
MSG_TRACK_NUMBER = "Please enter a tracking number."
OFFLINE_METHODS = frozenset(
    {"checkmo", "cashondelivery", "banktransfer", "purchaseorder", "free", "msp_cashondelivery"}
)


def label_pdf(awb: str, carrier: str) -> str:
    """A one-page PDF (base64) naming the AWB, as a courier module's label would."""
    text = f"{carrier} AWB {awb}".replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 40 700 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return base64.b64encode(bytes(out)).decode()


def _left(refunded: Mapping[int, float], line: Mapping[str, Any]) -> float:
    return float(line["qty"]) - refunded.get(int(line["order_item_id"]), 0.0)


class PaymentsMixin:
    """MagentoSimulator's prepaid invoicing, invoice refunds and the courier extension."""

    # -- prepaid: invoiced when the gateway captures ----------------------------------------------

    def add_order(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """:meth:`OrderBuilderMixin.add_order`; a new order paid by a method in
        ``prepaid_methods`` is invoiced at once (captured online unless the method is offline)."""
        with self.lock:
            order = super().add_order(*args, **kwargs)  # type: ignore[misc]
            method = order["payment"]["method"]
            if method in self.prepaid_methods and order["state"] in ("new", "processing"):
                self.invoice(order["entity_id"], capture=True)
                order = self._order_out(self.orders[order["entity_id"]])
            return order

    # -- credit memo for an invoice --------------------------------------------------------------

    def refund_invoice(self, invoice_id: int, *, online: bool = False, **kwargs: Any) -> int:
        """``POST /V1/invoice/{id}/refund``; returns the credit memo id."""
        with self.lock:
            invoice = self.invoices.get(int(invoice_id))
            if invoice is None:
                raise _not_found()
            if not kwargs.get("items"):
                kwargs["items"] = [
                    {"order_item_id": line["order_item_id"], "qty": left}
                    for line in invoice["items"]
                    if (left := _left(self.invoice_refunded.get(invoice_id, {}), line)) > 0
                ]
            return self.refund(
                invoice["order_id"], invoice_id=int(invoice_id), online=online, **kwargs
            )

    def _invoice_refund_errors(
        self, invoice: Mapping[str, Any], doc: _Doc, online: bool
    ) -> list[str]:
        if online and not invoice.get("transaction_id"):
            return [MSG_MEMO_INVOICE]
        lines = {int(line["order_item_id"]): line for line in invoice["items"]}
        refunded = self.invoice_refunded.get(int(invoice["entity_id"]), {})
        errors = []
        for item_id, qty in doc.qtys.items():
            line = lines.get(item_id)
            left = _left(refunded, line) if line else 0.0
            if qty > left:
                errors.append(MSG_MEMO_INVOICE)
                break
        return errors

    def _count_invoice_refund(self, invoice: dict[str, Any], doc: _Doc) -> None:
        refunded = self.invoice_refunded.setdefault(int(invoice["entity_id"]), {})
        for item_id, qty in doc.qtys.items():
            refunded[item_id] = refunded.get(item_id, 0.0) + qty
        invoice["is_used_for_refund"] = 1

    def _h_invoice_refund(self, req: RecordedRequest, id: str) -> SimResponse:
        invoice_id = parse_int(id)
        if invoice_id <= 0:
            raise MagentoError(400, MSG_ID_NEEDED)
        body = self._body(req)
        online = bool(body.get("isOnline", body.get("is_online")))
        memo_id = self.refund_invoice(invoice_id, online=online, **refund_arguments(body))
        return SimResponse(200, self._id_out(memo_id))

    # -- the courier extension, tracks and e-mails -----------------------------------------------

    def _after_shipment_saved(self, shipment: dict[str, Any]) -> None:
        """The courier module's observer: a shipment saved without a track gets an AWB from the
        courier, as a track, and the courier's label."""
        if not self.courier_extension or shipment["tracks"]:
            return
        awb = f"{self.courier_awb_prefix}{self._next_id('courier_awb'):08d}"
        order = self.orders[shipment["order_id"]]
        spec = {"track_number": awb, "title": self.courier_title, "carrier_code": self.courier_code}
        shipment["tracks"].append(self._track(order, shipment["entity_id"], spec, self.stamp()))
        shipment["shipping_label"] = label_pdf(awb, self.courier_title)

    def add_track(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /V1/shipment/track``: the saved track."""
        with self.lock:
            spec = snake_keys(entity)
            if spec.get("parent_id") in (None, ""):
                raise _required("parent_id")
            if not str(spec.get("track_number") or "").strip():
                raise MagentoError(400, MSG_TRACK_NUMBER)
            shipment = self.shipments.get(parse_int(spec["parent_id"]))
            if shipment is None:
                raise _not_found()
            order = self.orders[shipment["order_id"]]
            track = self._track(order, shipment["entity_id"], spec, self.stamp())
            shipment["tracks"].append(track)
            shipment["updated_at"] = self.stamp()
            return track

    def email_shipment(self, shipment_id: int) -> bool:
        """``POST /V1/shipment/{id}/emails``: the customer gets the shipment (with its tracks)."""
        with self.lock:
            shipment = self.shipments.get(int(shipment_id))
            if shipment is None:
                raise _not_found()
            shipment["email_sent"] = 1
            self.notifications.append(
                {"type": "shipment", "order_id": shipment["order_id"], "id": shipment_id}
            )
            return True

    def _h_add_track(self, req: RecordedRequest) -> SimResponse:
        entity = self._body(req).get("entity")
        if not isinstance(entity, dict):
            raise _required("entity")
        return SimResponse(200, self.add_track(entity))

    def _h_shipment_emails(self, req: RecordedRequest, id: str) -> SimResponse:
        shipment_id = parse_int(id)
        if shipment_id <= 0:
            raise MagentoError(400, MSG_ID_NEEDED)
        return SimResponse(200, self.email_shipment(shipment_id))
