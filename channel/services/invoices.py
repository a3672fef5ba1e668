"""Magento invoices for proxy shipments, and the invoice Omni gets (contract 4.4, 4.5).

One Invoice row per Shipment; the Magento invoice is created by an outbox operation (at pack when
INVOICE_AT_PACK, at handover otherwise, or when Omni asks for it), for exactly the shipment's
items. Before any retry the operation reads the order's invoices back and adopts the one it made,
so a lost answer never becomes a second invoice. The PDF is rendered by the proxy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from channel import outbox
from channel.documents.data import Address, InvoiceDoc, InvoiceLine, TaxLine
from channel.documents.render import render_invoice_pdf
from channel.integrations.magento import MagentoClient, MagentoError, time_budget
from channel.lib.timefmt import parse_magento, to_omni
from channel.models import (
    Document,
    DocumentKind,
    Flow,
    Invoice,
    InvoiceState,
    Operation,
    OperationState,
    Order,
    OrderLine,
    Shipment,
    ShipmentState,
)
from channel.services import audit, mapping
from channel.services import documents as docstore
from channel.services.errors import Conflict, NotFound
from channel.services.fulfilment import (
    CANCEL_REMAINDER,
    CREATE_INVOICE,
    chunked,
    claimed_ids,
    invoice_item_id,
    magento_items,
    make_in_parts,
    nudge,
    refresh_quietly,
)
from channel.services.mapping import money

TAX_TYPE = "GST"
log = logging.getLogger(__name__)


def capture_for(order: Order) -> bool:
    """Online prepaid methods are captured; COD and the configured offline methods are not."""
    offline = set(settings.MAGENTO_COD_METHODS) | set(settings.MAGENTO_OFFLINE_PAYMENT_METHODS)
    return order.payment_method not in offline


def operation_key(shipment: Shipment) -> str:
    return f"{CREATE_INVOICE}:{shipment.pk}"


def invoice_queue(*, shipment: Shipment) -> Invoice:
    """The shipment's invoice, queued for Magento once (inside the caller's transaction)."""
    invoice, _ = Invoice.objects.get_or_create(
        shipment=shipment,
        defaults={"order": shipment.order, "capture": capture_for(shipment.order)},
    )
    outbox.enqueue(
        CREATE_INVOICE,
        key=operation_key(shipment),
        order=shipment.order,
        target=f"shipment:{shipment.shipment_code}",
        payload={"shipment": shipment.pk},
    )
    return invoice


def invoice_ensure(*, shipment: Shipment) -> Invoice:
    with transaction.atomic():
        return invoice_queue(shipment=shipment)


def invoice_operation(invoice: Invoice) -> Operation | None:
    return Operation.objects.filter(idempotency_key=operation_key(invoice.shipment)).first()


def invoice_shipment(*, order: Order, shipment_code: str) -> Shipment:
    """The shipment of `order` an invoice request names (NotFound otherwise)."""
    shipment = Shipment.objects.filter(order=order, shipment_code=shipment_code).first()
    if shipment is None:
        raise NotFound(f"Order {order.order_code} has no shipment {shipment_code}.")
    return shipment


def invoice_of_shipment(*, shipment: Shipment) -> Invoice:
    """The shipment's invoice once Magento has it (NotFound / Conflict otherwise)."""
    invoice = Invoice.objects.filter(shipment=shipment).select_related("order").first()
    if invoice is None:
        raise NotFound(
            f"There is no invoice for shipment {shipment.shipment_code} of order "
            f"{shipment.order.order_code}."
        )
    return invoice_created(invoice)


def invoice_create_now(*, shipment: Shipment) -> Invoice:
    """Omni's Create Invoice: queue the shipment's invoice once and try it within the request's
    Magento time budget; the invoice once Magento has it (Conflict while pending or refused)."""
    if shipment.state == ShipmentState.CANCELLED:
        raise Conflict(f"Shipment {shipment.shipment_code} is cancelled.")
    invoice = invoice_ensure(shipment=shipment)
    with time_budget(settings.MAGENTO_REQUEST_BUDGET):
        invoice = invoice_try_now(invoice=invoice)
    return invoice_created(invoice)


def invoice_created(invoice: Invoice) -> Invoice:
    """The invoice when Magento created it; Conflict while pending or when Magento refused it."""
    if invoice.state == InvoiceState.CREATED:
        return invoice
    if invoice.state == InvoiceState.FAILED:
        raise Conflict(invoice.last_error)
    operation = invoice_operation(invoice)
    last_error = invoice.last_error or (operation.last_error if operation else "")
    message = (
        f"The invoice for shipment {invoice.shipment.shipment_code} of order "
        f"{invoice.order.order_code} is pending in Magento"
    )
    raise Conflict(f"{message}; last error: {last_error}" if last_error else f"{message}.")


def invoice_try_now(*, invoice: Invoice) -> Invoice:
    """Run the invoice's pending operation now (in the caller's Magento time budget)."""
    operation = invoice_operation(invoice)
    if invoice.state != InvoiceState.CREATED and operation is not None:
        due = Operation.objects.filter(pk=operation.pk, state=OperationState.PENDING).update(
            next_attempt_at=timezone.now()
        )
        if due:
            outbox.run_operation(operation.pk)
    invoice.refresh_from_db()
    return invoice


# --- the outbox operation -----------------------------------------------------------------------
def _invoice_of(operation: Operation) -> Invoice:
    return Invoice.objects.select_related("order", "shipment").get(
        shipment_id=operation.payload["shipment"]
    )


def _result(invoice: Invoice) -> dict[str, Any]:
    return {"invoiceId": invoice.magento_invoice_id, "invoiceCode": invoice.invoice_number}


def find_in_magento(client: MagentoClient, invoice: Invoice) -> dict[str, Any] | None:
    """The Magento invoice made for this shipment, if there is one: the one recorded, or one with
    exactly its items that no other shipment has claimed."""
    if invoice.magento_invoice_id:
        return client.get_invoice(invoice.magento_invoice_id)
    order = invoice.order
    taken = set(
        Invoice.objects.filter(order=order, magento_invoice_id__isnull=False)
        .exclude(pk=invoice.pk)
        .values_list("magento_invoice_id", flat=True)
    )
    expected = {
        item["order_item_id"]: item["qty"] for item in magento_items(invoice.shipment, invoice=True)
    }
    ours = set(order.lines.values_list("magento_item_id", flat=True))
    for candidate in client.search_invoices(order.entity_id):
        if int(candidate["entity_id"]) not in taken and items_of(candidate, ours) == expected:
            return candidate
    return None


def items_of(document: dict[str, Any], ours: set[int]) -> dict[int, int]:
    """{order_item_id: qty} of a Magento invoice or shipment, for the lines the proxy sends."""
    result: dict[int, int] = {}
    for item in document.get("items") or []:
        item_id = int(item.get("order_item_id") or 0)
        qty = int(float(item.get("qty") or 0))
        if item_id in ours and qty > 0:
            result[item_id] = result.get(item_id, 0) + qty
    return result


def _read_back(operation: Operation) -> dict[str, Any] | None:
    invoice = _invoice_of(operation)
    if invoice.state == InvoiceState.CREATED:
        return _result(invoice)
    if len(chunked(magento_items(invoice.shipment, invoice=True))) > 1:
        return None  # running again matches the parts already made before making the rest
    raw = find_in_magento(MagentoClient.for_operation(operation), invoice)
    if raw is None:
        return None
    return _result(invoice_record(invoice=invoice, raw=raw))


@outbox.register(CREATE_INVOICE, flow=Flow.FULFILMENT, read_back=_read_back)
def create_invoice(operation: Operation) -> dict[str, Any]:
    """POST /V1/order/{id}/invoice for exactly the shipment's items, then read the invoice."""
    invoice = _invoice_of(operation)
    if invoice.state == InvoiceState.CREATED:
        return _result(invoice)
    client = MagentoClient.for_operation(operation)
    chunks = chunked(magento_items(invoice.shipment, invoice=True))
    if len(chunks) > 1 and not invoice.adopted:
        parts = _invoice_parts(client, invoice, chunks)
        invoice.magento_invoice_id = parts[0]
        Invoice.objects.filter(pk=invoice.pk).update(magento_invoice_id=parts[0])
        invoice = invoice_record(invoice=invoice, raw=merged_invoices(client, parts))
        refresh_quietly(invoice.order, client)
        return _result(invoice)
    if not invoice.magento_invoice_id:
        outside = invoiced_outside_the_proxy(client, invoice)
        invoice.magento_invoice_id = (
            int(outside["entity_id"]) if outside else _create_or_find(client, invoice)
        )
        invoice.adopted = outside is not None
        Invoice.objects.filter(pk=invoice.pk).update(
            magento_invoice_id=invoice.magento_invoice_id, adopted=invoice.adopted
        )
    invoice = invoice_record(invoice=invoice, raw=client.get_invoice(invoice.magento_invoice_id))
    refresh_quietly(invoice.order, client)
    return _result(invoice)


# --- several Magento invoices for one shipment (Magento's REST input limit, 8.6) ----------------
def _invoice_parts(
    client: MagentoClient, invoice: Invoice, chunks: list[list[dict[str, Any]]]
) -> list[int]:
    """One Magento invoice per chunk of items, each recorded as soon as it exists; before each
    is created, one not claimed by anyone with exactly its items is looked for (a lost answer)."""
    return make_in_parts(
        invoice.magento_parts,
        chunks,
        find=lambda chunk, parts: _find_part(client, invoice, chunk, parts),
        create=lambda chunk: _create(client, invoice, chunk),
        save=lambda parts: Invoice.objects.filter(pk=invoice.pk).update(magento_parts=parts),
    )


def _find_part(
    client: MagentoClient, invoice: Invoice, chunk: list[dict[str, Any]], parts: list[int]
) -> int | None:
    order = invoice.order
    others = Invoice.objects.filter(order=order).exclude(pk=invoice.pk)
    taken = claimed_ids(parts, others.values_list("magento_invoice_id", "magento_parts"))
    expected = {item["order_item_id"]: item["qty"] for item in chunk}
    ours = proxy_item_ids(order)
    for candidate in client.search_invoices(order.entity_id):
        if int(candidate["entity_id"]) in taken:
            continue
        if items_of(candidate, ours) == expected:
            return int(candidate["entity_id"])
    return None


def proxy_item_ids(order: Order) -> set[int]:
    """The Magento item ids the proxy invoices the order's lines through."""
    return {invoice_item_id(order, line) for line in order.lines.all()}


def merged_invoices(client: MagentoClient, parts: list[int]) -> dict[str, Any]:
    """The Magento invoices of one shipment read back together: the first one's header with every
    part's items, and the parts listed (entity id and number)."""
    raws = [client.get_invoice(part) for part in parts]
    merged = dict(raws[0])
    merged["items"] = [item for raw in raws for item in raw.get("items") or []]
    merged["parts"] = [
        {"entity_id": raw.get("entity_id"), "increment_id": raw.get("increment_id")} for raw in raws
    ]
    return merged


def invoiced_outside_the_proxy(client: MagentoClient, invoice: Invoice) -> dict[str, Any] | None:
    """The Magento invoice that already covers this shipment's units when Magento invoiced them
    itself (e.g. at online payment capture), so no second invoice is attempted. None when the
    units are still open to invoice, or no single invoice covers them: then the proxy asks
    Magento, which creates the invoice or says why it cannot."""
    order = invoice.order
    wanted = {
        item["order_item_id"]: item["qty"] for item in magento_items(invoice.shipment, invoice=True)
    }
    raw_items = {int(i["item_id"]): i for i in client.get_order(order.entity_id).get("items", [])}
    if not all(_invoiced_elsewhere(raw_items.get(i, {}), q) for i, q in wanted.items()):
        return None
    for candidate in client.search_invoices(order.entity_id):
        covered = items_of(candidate, set(wanted))
        if all(covered.get(item_id, 0) >= qty for item_id, qty in wanted.items()):
            return candidate
    return None


def _invoiced_elsewhere(item: dict[str, Any], qty: int) -> bool:
    """Too few units are open to invoice, and enough of them were invoiced (not cancelled)."""
    ordered = float(item.get("qty_ordered") or 0)
    invoiced = float(item.get("qty_invoiced") or 0)
    open_qty = ordered - invoiced - float(item.get("qty_canceled") or 0)
    return open_qty < qty <= invoiced


def _create_or_find(client: MagentoClient, invoice: Invoice) -> int:
    try:
        return _create(client, invoice)
    except MagentoError as exc:
        if exc.transient or exc.needs_config:
            raise
        # An earlier attempt still on its way (a worker killed mid-call) may have invoiced
        # meanwhile, so Magento refuses a second one: look once more before giving up.
        found = find_in_magento(client, invoice)
        if found is None:
            raise
        return int(found["entity_id"])


def _create(
    client: MagentoClient, invoice: Invoice, items: list[dict[str, Any]] | None = None
) -> int:
    order = invoice.order
    if items is None:
        items = magento_items(invoice.shipment, invoice=True)
    try:
        return client.create_invoice(order.entity_id, items, capture=invoice.capture)
    except MagentoError as exc:
        refused = not (exc.transient or exc.needs_config)
        message = f"Magento refused the invoice for order {order.order_code}: {exc.message}"
        Invoice.objects.filter(pk=invoice.pk).update(
            state=InvoiceState.FAILED if refused else InvoiceState.PENDING,
            last_error=message if refused else exc.message,
            updated_at=timezone.now(),
        )
        if refused:
            audit.record(
                "order.invoice_refused",
                order=order,
                subject=f"shipment:{invoice.shipment.shipment_code}",
                message=message,
            )
        raise


# --- recording ----------------------------------------------------------------------------------
def invoice_record(*, invoice: Invoice, raw: dict[str, Any]) -> Invoice:
    """Mirror the Magento invoice, once, and render its PDF."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update()
            .select_related("order", "shipment")
            .get(pk=invoice.pk)
        )
        if invoice.state == InvoiceState.CREATED:
            return invoice
        rows = invoice_rows(invoice.shipment, raw)
        invoice.magento_invoice_id = int(raw["entity_id"])
        invoice.magento_parts = [int(p["entity_id"]) for p in raw.get("parts") or [raw]]
        invoice.invoice_number = str(raw.get("increment_id") or raw["entity_id"])
        invoice.invoice_date = parse_magento(raw.get("created_at")) or timezone.now()
        invoice.raw = raw
        invoice.lines = merged_details(rows, invoice.order)
        invoice.tax_total = sum((row.tax for row in rows), Decimal(0))
        invoice.grand_total = sum((row.actual for row in rows), Decimal(0)) + _shipping(raw)
        invoice.state = InvoiceState.CREATED
        invoice.last_error = ""
        invoice.save()
        _mirror_invoiced(invoice.order)
        audit.record(
            "order.invoiced",
            order=invoice.order,
            subject=f"shipment:{invoice.shipment.shipment_code}",
            message=f"Magento invoice {invoice.invoice_number} created "
            f"({'captured' if invoice.capture else 'not captured'})",
            data={"invoiceId": invoice.magento_invoice_id},
        )
        nudge(invoice.order, CANCEL_REMAINDER)
    invoice_document(invoice)
    return invoice


def _mirror_invoiced(order: Order) -> None:
    """Lines' qty_invoiced is at least what the proxy's invoices hold (Magento's own count
    arrives with the next read of the order)."""
    for line in order.lines.all():
        invoiced = line.shipped.filter(shipment__invoice__state=InvoiceState.CREATED).aggregate(
            total=Sum("quantity")
        )["total"]
        if invoiced and invoiced > line.qty_invoiced:
            OrderLine.objects.filter(pk=line.pk).update(qty_invoiced=invoiced)


def _shipping(raw: dict[str, Any]) -> Decimal:
    return money(raw.get("shipping_incl_tax") or 0)


@dataclass(frozen=True)
class InvoiceRow:
    """One order line's units in one invoice, in money."""

    line: OrderLine
    quantity: int
    price: Decimal  # per unit, without tax, before discount
    discount: Decimal  # whole row
    tax: Decimal  # whole row

    @property
    def base(self) -> Decimal:
        return money(self.price * self.quantity - self.discount)

    @property
    def actual(self) -> Decimal:
        return self.base + self.tax

    def per_unit(self, total: Decimal) -> float:
        return float(money(total / self.quantity))

    def detail(self) -> dict[str, Any]:
        """One entry of Omni's invoiceDetails."""
        return {
            "channelSkuCode": self.line.sku,
            "orderItemCode": str(self.line.item_id),
            "quantity": self.quantity,
            "baseSellingPricePerUnit": self.per_unit(self.base),
            "baseSellingPriceTotal": float(self.base),
            "actualSellingPricePerUnit": self.per_unit(self.actual),
            "actualSellingPriceTotal": float(self.actual),
            "netTaxAmountPerUnit": self.per_unit(self.tax),
            "netTaxAmountTotal": float(self.tax),
            "taxItems": [
                {
                    "type": head,
                    "rate": float(rate),
                    "taxPerUnit": self.per_unit(amount),
                    "taxTotal": float(amount),
                }
                for head, rate, amount in tax_split(self.line, self.tax)
            ],
        }


def merged_details(rows: list[InvoiceRow], order: Order) -> list[dict[str, Any]]:
    """invoiceDetails with one entry per SKU, named as Omni knows the item (8.2)."""
    codes = mapping.omni_item_codes(list(order.lines.all()))
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        detail = row.detail()
        detail["orderItemCode"] = codes.get(row.line.sku, detail["orderItemCode"])
        into = merged.get(row.line.sku)
        if into is None:
            merged[row.line.sku] = detail
            continue
        _add_detail(into, detail)
    return list(merged.values())


def _add_detail(into: dict[str, Any], detail: dict[str, Any]) -> None:
    into["quantity"] += detail["quantity"]
    for name in ("baseSellingPrice", "actualSellingPrice"):
        into[f"{name}Total"] = float(
            money(Decimal(str(into[f"{name}Total"])) + Decimal(str(detail[f"{name}Total"])))
        )
        into[f"{name}PerUnit"] = float(money(Decimal(str(into[f"{name}Total"])) / into["quantity"]))
    into["netTaxAmountTotal"] = float(
        money(Decimal(str(into["netTaxAmountTotal"])) + Decimal(str(detail["netTaxAmountTotal"])))
    )
    into["netTaxAmountPerUnit"] = float(
        money(Decimal(str(into["netTaxAmountTotal"])) / into["quantity"])
    )
    heads = {(t["type"], t["rate"]): t for t in into["taxItems"]}
    for tax in detail["taxItems"]:
        head = heads.get((tax["type"], tax["rate"]))
        if head is None:
            into["taxItems"].append(tax)
            heads[(tax["type"], tax["rate"])] = tax
            continue
        head["taxTotal"] = float(
            money(Decimal(str(head["taxTotal"])) + Decimal(str(tax["taxTotal"])))
        )
    for tax in into["taxItems"]:
        tax["taxPerUnit"] = float(money(Decimal(str(tax["taxTotal"])) / into["quantity"]))


def tax_split(line: OrderLine, tax: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    """`tax` (of some units of `line`) split by the line's applied taxes (GST heads: CGST, SGST,
    IGST…, in proportion to Magento's amounts, the last head taking the rest); one GST item
    when Magento reported none (contract 8.2)."""
    breakup = [t for t in line.tax_breakup or [] if t.get("amount")]
    whole = sum((Decimal(str(t["amount"])) for t in breakup), Decimal(0))
    if not breakup or not whole:
        return [(TAX_TYPE, line.tax_percent, tax)]
    split, left = [], tax
    for index, item in enumerate(breakup):
        last = index == len(breakup) - 1
        amount = left if last else money(tax * Decimal(str(item["amount"])) / whole)
        left -= amount
        split.append((str(item["type"]), Decimal(str(item["rate"])), amount))
    return split


def invoice_rows(shipment: Shipment, raw: dict[str, Any]) -> list[InvoiceRow]:
    """Money per shipped line: from the Magento invoice item when it holds exactly these units,
    otherwise the order line's share."""
    items = {int(i["order_item_id"]): i for i in raw.get("items") or [] if i.get("order_item_id")}
    rows = []
    for shipment_line in shipment.lines.select_related("order_line").order_by("pk"):
        line, quantity = shipment_line.order_line, shipment_line.quantity
        item = items.get(line.magento_item_id)
        if item is not None and int(float(item.get("qty") or 0)) == quantity:
            rows.append(
                InvoiceRow(
                    line=line,
                    quantity=quantity,
                    price=money(item.get("price")),
                    discount=money(item.get("discount_amount")),
                    tax=money(item.get("tax_amount")),
                )
            )
        else:
            rows.append(_share(line, quantity))
    return rows


def _share(line: OrderLine, quantity: int) -> InvoiceRow:
    ordered = line.qty_ordered or 1
    return InvoiceRow(
        line=line,
        quantity=quantity,
        price=line.price_excl_tax,
        discount=money(line.discount_per_unit * quantity),
        tax=money(line.tax_amount * quantity / ordered),
    )


# --- the PDF and Omni's body --------------------------------------------------------------------


def seller_address() -> Address:
    return Address(
        name=settings.SELLER_NAME,
        line1=settings.SELLER_ADDRESS_LINE1,
        line2=settings.SELLER_ADDRESS_LINE2,
        city=settings.SELLER_CITY,
        state=settings.SELLER_STATE,
        zip=settings.SELLER_ZIP,
        country=settings.SELLER_COUNTRY,
        phone=settings.SELLER_PHONE,
        email=settings.SELLER_EMAIL,
        gstin=settings.SELLER_GSTIN or None,
    )


def _pdf_line(row: InvoiceRow) -> InvoiceLine:
    line = row.line
    return InvoiceLine(
        sku=line.sku,
        name=line.name or line.sku,
        quantity=row.quantity,
        unit_price_excl_tax=row.price,
        unit_price_incl_tax=money(row.price + row.tax / row.quantity),
        discount=row.discount,
        tax_items=tuple(
            TaxLine(type=head, rate=rate, amount=amount)
            for head, rate, amount in tax_split(line, row.tax)
        ),
        line_total=row.actual,
        hsn=line.hsn_code,
    )


def invoice_doc(invoice: Invoice) -> InvoiceDoc:
    order, shipment = invoice.order, invoice.shipment
    rows = invoice_rows(shipment, invoice.raw)
    shipping = _shipping(invoice.raw)
    return InvoiceDoc(
        seller_name=settings.SELLER_NAME,
        seller_address=seller_address(),
        seller_gstin=settings.SELLER_GSTIN,
        billing_address=Address.from_omni(order.billing_address),
        shipping_address=Address.from_omni(order.shipping_address),
        order_code=order.order_code,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date or invoice.created_at,
        payment_method="Cash on delivery" if order.is_cod else "Prepaid",
        currency=order.currency or "INR",
        lines=tuple(_pdf_line(row) for row in rows),
        shipping_charge=shipping,
        subtotal=sum((row.base for row in rows), Decimal(0)),
        tax_total=sum((row.tax for row in rows), Decimal(0)),
        grand_total=sum((row.actual for row in rows), Decimal(0)) + shipping,
        shipment_code=shipment.shipment_code,
    )


HSN_BATCH = 100  # SKUs per catalog search (one query filter; pageSize stays under Magento's 300)


def hsn_fill(order: Order) -> None:
    """HSN codes of the order's lines from the product attribute MAGENTO_HSN_ATTRIBUTE (one
    catalog search per order, when a line has none yet); Magento failing leaves them empty."""
    lines = [line for line in order.lines.all() if not line.hsn_code]
    if not lines or not settings.MAGENTO_HSN_ATTRIBUTE:
        return
    skus = sorted({line.sku for line in lines})
    client = MagentoClient(order_id=order.pk)
    found: dict[str, str] = {}
    try:
        for start in range(0, len(skus), HSN_BATCH):
            batch = skus[start : start + HSN_BATCH]
            found.update(client.product_attribute(batch, settings.MAGENTO_HSN_ATTRIBUTE))
    except MagentoError as exc:
        log.warning("HSN codes of order %s not read: %s", order.order_code, exc.message)
        return
    for line in lines:
        if found.get(line.sku):
            OrderLine.objects.filter(pk=line.pk).update(hsn_code=found[line.sku][:32])


def invoice_document(invoice: Invoice) -> Document:
    """Render and store the invoice PDF (the same bytes again leave the stored one as it is)."""
    hsn_fill(invoice.order)
    return docstore.document_store(
        kind=DocumentKind.INVOICE,
        key=invoice.shipment.shipment_code,
        content=render_invoice_pdf(invoice_doc(invoice)),
        order=invoice.order,
    )


def invoice_body(invoice: Invoice, request: HttpRequest | None = None) -> dict[str, Any]:
    """Omni's Get Invoice body (contract 4.5) for a created invoice."""
    document = Document.objects.filter(
        kind=DocumentKind.INVOICE, key=invoice.shipment.shipment_code
    ).first() or invoice_document(invoice)
    return {
        "invoiceCode": invoice.invoice_number,
        "invoiceDate": to_omni(invoice.invoice_date),
        "invoiceUrl": docstore.signed_url(document, request),
        "invoice": docstore.document_base64(document),
        "invoiceDetails": invoice.lines,
    }
