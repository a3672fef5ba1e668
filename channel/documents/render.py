"""PDF renderers for the tax invoice, the 4x6 inch shipping label and the courier manifest.

Pure functions of the dataclasses in :mod:`channel.documents.data` (no Django). Output is
deterministic: the same input gives byte-identical PDF bytes (``invariant=1`` and fixed metadata),
so callers can store a checksum and only re-render when the data changed.

Fonts are the PDF base-14 Helvetica family (nothing embedded). Helvetica has no rupee sign, and
ReportLab ships no TTF that has one, so amounts are printed as ``Rs. 1,23,456.00`` (Indian digit
grouping). Dates are stored in UTC and printed in Indian Standard Time.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from channel.documents.data import (
    Address,
    InvoiceDoc,
    InvoiceLine,
    LabelDoc,
    ManifestDoc,
    ManifestRow,
    PaymentType,
)

__all__ = [
    "amount_in_words",
    "format_money",
    "render_invoice_pdf",
    "render_label_pdf",
    "render_manifest_pdf",
]

CREATOR = "omni-magento-proxy"
IST = timezone(timedelta(hours=5, minutes=30), "IST")
FONT = "Helvetica"
BOLD = "Helvetica-Bold"
GREY = colors.HexColor("#555555")
LIGHT = colors.HexColor("#E6E6E6")
# One dot of a 203 dpi thermal printer, in points: bar widths are whole dots so bars print crisply.
THERMAL_DOT = 72 / 203

# ---------------------------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------------------------

_CENT = Decimal("0.01")


def _indian_grouping(digits: str) -> str:
    """``"12345678"`` -> ``"1,23,45,678"`` (last three digits, then groups of two)."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join(groups) + "," + tail


def format_amount(value: Decimal, currency: str = "INR") -> str:
    """Two decimals, Indian grouping for INR and western grouping otherwise; no currency."""
    quantized = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if quantized < 0 else ""
    whole, _, cents = f"{abs(quantized):.2f}".partition(".")
    grouped = _indian_grouping(whole) if currency == "INR" else f"{int(whole):,}"
    return f"{sign}{grouped}.{cents}"


def currency_label(currency: str) -> str:
    return "Rs." if currency == "INR" else currency


def format_money(value: Decimal, currency: str = "INR") -> str:
    """``Rs. 1,23,456.00`` for INR, ``USD 123,456.00`` otherwise."""
    return f"{currency_label(currency)} {format_amount(value, currency)}"


def _ist(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # naive datetimes are taken to be UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(IST)


def format_date(moment: datetime | None) -> str:
    return _ist(moment).strftime("%d-%b-%Y") if moment else "-"


def format_datetime(moment: datetime) -> str:
    return _ist(moment).strftime("%d-%b-%Y %H:%M IST")


def _format_quantity(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():f}"


def _format_rate(rate: Decimal) -> str:
    return f"{_format_quantity(Decimal(rate))}%"


_ONES = (
    "Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen "
    "Fifteen Sixteen Seventeen Eighteen Nineteen"
).split()
_TENS = "_ _ Twenty Thirty Forty Fifty Sixty Seventy Eighty Ninety".split()
_INDIAN_UNITS = ((10**7, "Crore"), (10**5, "Lakh"), (1000, "Thousand"), (100, "Hundred"))


def _words_below_100(number: int) -> str:
    if number < 20:
        return _ONES[number]
    tens, ones = divmod(number, 10)
    return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")


def number_in_words(number: int) -> str:
    """Indian numbering: 12345678 -> "One Crore Twenty Three Lakh Forty Five Thousand ..."."""
    if number < 100:
        return _words_below_100(number)
    for size, name in _INDIAN_UNITS:
        if number >= size:
            head, rest = divmod(number, size)
            words = f"{number_in_words(head)} {name}"
            return f"{words} {number_in_words(rest)}" if rest else words
    raise AssertionError("unreachable")  # pragma: no cover


def amount_in_words(value: Decimal, currency: str = "INR") -> str:
    """``Rupees One Thousand Two Hundred and Fifty Paise Only`` for Decimal("1200.50")."""
    quantized = abs(Decimal(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    whole, cents = int(quantized), int((quantized % 1) * 100)
    unit, sub = ("Rupees", "Paise") if currency == "INR" else (currency, "Cents")
    words = f"{unit} {number_in_words(whole)}"
    if cents:
        words += f" and {number_in_words(cents)} {sub}"
    return f"{'Minus ' if value < 0 else ''}{words} Only"


def _address_lines(address: Address, *, with_name: bool = True) -> list[str]:
    lines = [address.name] if with_name and address.name.strip() else []
    lines += list(address.street_lines)
    if address.city_line:
        lines.append(address.city_line)
    if address.country.strip() and address.country.strip().upper() not in ("IN", "INDIA"):
        lines.append(address.country)
    return lines


def _contact_line(address: Address) -> str:
    parts = [f"Ph: {address.phone}" if address.phone else "", address.email]
    return "  |  ".join(part for part in parts if part)


# ---------------------------------------------------------------------------------------------
# Canvas / document helpers
# ---------------------------------------------------------------------------------------------


def _set_metadata(canvas: Canvas, title: str, subject: str) -> None:
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setAuthor(CREATOR)
    canvas.setCreator(CREATOR)
    canvas.setProducer(CREATOR)


def _doc_template(buffer: io.BytesIO, title: str, subject: str, **margins: float) -> Any:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        subject=subject,
        author=CREATOR,
        creator=CREATOR,
        producer=CREATOR,
        invariant=1,
        **margins,
    )


def _numbered_canvas(footer: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A canvas class that holds pages back so ``footer`` can print "Page x of y"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # private reportlab method, not in the stubs

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                footer(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _barcode(value: str, max_width: float, height: float, bar_widths: Iterable[float]) -> Code128:
    """The widest Code 128 (quiet zones included) from ``bar_widths`` that fits ``max_width``."""
    if not value or not value.isascii() or not value.isprintable():
        raise ValueError(f"cannot print {value!r} as a Code 128 barcode (printable ASCII only)")
    barcode = None
    for bar_width in bar_widths:
        quiet = 10 * bar_width
        barcode = Code128(value, barWidth=bar_width, barHeight=height, lquiet=quiet, rquiet=quiet)
        if barcode.width <= max_width:
            return barcode
    assert barcode is not None
    return barcode  # narrowest; may overflow only for absurdly long values


def _fit_size(text: str, font: str, size: float, width: float, minimum: float = 6) -> float:
    actual = stringWidth(text, font, size)
    return size if actual <= width else max(minimum, size * width / actual)


def _truncate(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "..."


def _draw_fitted(
    canvas: Canvas,
    text: str,
    xy: tuple[float, float],
    font: str,
    size: float,
    width: float,
    align: str = "left",
) -> float:
    """Draw one line shrunk (then truncated) to ``width``; returns the font size used."""
    size = _fit_size(text, font, size, width)
    text = _truncate(text, font, size, width)
    canvas.setFont(font, size)
    x, y = xy
    if align == "center":
        canvas.drawCentredString(x + width / 2, y, text)
    elif align == "right":
        canvas.drawRightString(x + width, y, text)
    else:
        canvas.drawString(x, y, text)
    return size


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    lines = simpleSplit(text, font, size, width) if text.strip() else []
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _truncate(lines[-1] + " ...", font, size, width)
    return lines


def _style(name: str, size: float = 8, bold: bool = False, **kwargs: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name, fontName=BOLD if bold else FONT, fontSize=size, leading=size * 1.22, **kwargs
    )


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped); newlines become line breaks."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# ---------------------------------------------------------------------------------------------
# Shipping label (4 x 6 inch)
# ---------------------------------------------------------------------------------------------

LABEL_SIZE = (4 * inch, 6 * inch)
_LM = 7  # label margin
_LP = 6  # padding inside the label frame


class _LabelPainter:
    """Draws the label top-down; each section takes a fixed height below ``self.top``."""

    def __init__(self, canvas: Canvas, doc: LabelDoc) -> None:
        self.c = canvas
        self.doc = doc
        self.left = _LM + _LP
        self.width = LABEL_SIZE[0] - 2 * (_LM + _LP)
        self.top = LABEL_SIZE[1] - _LM

    def paint(self) -> None:
        self.c.setLineWidth(1.5)
        self.c.rect(_LM, _LM, LABEL_SIZE[0] - 2 * _LM, LABEL_SIZE[1] - 2 * _LM)
        self._section(38, self._header)
        self._section(92, self._awb)
        self._section(100, self._ship_to)
        self._section(34, self._payment)
        self._section(42, self._details)
        self._section(60, self._order)
        self._return_address(self.top)

    def _section(self, height: float, draw: Callable[[float], None]) -> None:
        draw(self.top)
        self.top -= height
        self.c.setLineWidth(1)
        self.c.line(_LM, self.top, LABEL_SIZE[0] - _LM, self.top)

    def _caption(self, text: str, y: float, x: float | None = None) -> None:
        self.c.setFillColor(colors.black)
        self.c.setFont(BOLD, 6.5)
        self.c.drawString(self.left if x is None else x, y, text.upper())

    def _header(self, top: float) -> None:
        badge_w = 76
        self.c.setFillColor(colors.black)
        name = self.doc.transporter.upper()
        _draw_fitted(self.c, name, (self.left, top - 28), BOLD, 24, self.width - badge_w - 8)
        x, y = self.left + self.width - badge_w, top - 32
        cod = self.doc.payment_type == PaymentType.COD
        self.c.setLineWidth(2)
        self.c.rect(x, y, badge_w, 26, stroke=1, fill=1 if cod else 0)
        self.c.setFillColor(colors.white if cod else colors.black)
        _draw_fitted(
            self.c, "COD" if cod else "PREPAID", (x + 4, y + 7), BOLD, 17, badge_w - 8, "center"
        )
        self.c.setFillColor(colors.black)

    def _awb(self, top: float) -> None:
        self._caption(f"AWB No.  ({self.doc.transporter})", top - 10)
        dots = [n * THERMAL_DOT for n in (4, 3, 2)] + [1.5 * THERMAL_DOT]
        barcode = _barcode(self.doc.awb, self.width, 52, dots)
        barcode.drawOn(self.c, self.left + (self.width - barcode.width) / 2, top - 68)
        _draw_fitted(self.c, self.doc.awb, (self.left, top - 86), BOLD, 16, self.width, "center")

    def _ship_to(self, top: float) -> None:
        to = self.doc.to_address
        self._caption("Deliver to", top - 10)
        _draw_fitted(self.c, to.name, (self.left, top - 25), BOLD, 13, self.width)
        y = top - 38
        for line in _wrap(", ".join(to.street_lines), FONT, 10, self.width, 3):
            self.c.setFont(FONT, 10)
            self.c.drawString(self.left, y, line)
            y -= 12
        place = ", ".join(p for p in (to.city, to.state) if p.strip())
        pin_w = 96
        _draw_fitted(self.c, place, (self.left, y - 4), BOLD, 11, self.width - pin_w)
        _draw_fitted(
            self.c,
            f"PIN {to.zip}",
            (self.left + self.width - pin_w, y - 6),
            BOLD,
            17,
            pin_w,
            "right",
        )
        if to.phone:
            _draw_fitted(self.c, f"Ph: {to.phone}", (self.left, y - 19), FONT, 10, self.width)

    def _payment(self, top: float) -> None:
        doc = self.doc
        x, y, w, h = self.left - 2, top - 29, self.width + 4, 24
        if doc.payment_type == PaymentType.COD:
            text = f"COD: COLLECT {format_money(doc.cod_amount)}"
            self.c.rect(x, y, w, h, stroke=1, fill=1)
            self.c.setFillColor(colors.white)
        else:
            text = "PREPAID - DO NOT COLLECT CASH"
            self.c.setLineWidth(2)
            self.c.rect(x, y, w, h, stroke=1, fill=0)
        _draw_fitted(self.c, text, (x + 6, y + 7), BOLD, 15, w - 12, "center")
        self.c.setFillColor(colors.black)

    def _details(self, top: float) -> None:
        doc = self.doc
        dims = "x".join(_format_quantity(v) for v in (doc.length_cm, doc.breadth_cm, doc.height_cm))
        cells = [
            ("Weight", _format_weight(doc.weight_grams)),
            ("Dimensions (LxBxH)", f"{dims} cm"),
            ("Items", str(doc.item_count)),
            ("Order date", format_date(doc.order_date)),
            ("Boxes", str(doc.box_count)),
            ("Payment", doc.payment_type.value),
        ]
        col_w = self.width / 3
        for index, (caption, value) in enumerate(cells):
            x = self.left + (index % 3) * col_w
            y = top - 10 - (index // 3) * 19
            self.c.setFont(FONT, 6.5)
            self.c.setFillColor(GREY)
            self.c.drawString(x, y, caption)
            self.c.setFillColor(colors.black)
            _draw_fitted(self.c, value, (x, y - 8.5), BOLD, 9.5, col_w - 4)

    def _order(self, top: float) -> None:
        doc = self.doc
        dots = [n * THERMAL_DOT for n in (3, 2)] + [1.5 * THERMAL_DOT]
        barcode = _barcode(doc.order_code, self.width * 0.66, 34, dots)
        x = _LM + 1  # the left quiet zone stays inside the frame
        barcode.drawOn(self.c, x, top - 44)
        self.c.setFont(FONT, 7)
        self.c.drawCentredString(x + barcode.width / 2, top - 54, doc.order_code)
        text_x = x + barcode.width - barcode.rquiet / 2
        text_w = self.left + self.width - text_x
        rows = (("Order No.", doc.order_code, 12), ("Shipment", doc.shipment_code, 10))
        for index, (caption, value, size) in enumerate(rows):
            y = top - 14 - index * 26
            self.c.setFont(FONT, 6.5)
            self.c.setFillColor(GREY)
            self.c.drawRightString(self.left + self.width, y, caption)
            self.c.setFillColor(colors.black)
            _draw_fitted(self.c, value, (text_x, y - 12), BOLD, size, text_w, "right")

    def _return_address(self, top: float) -> None:
        sender = self.doc.from_address
        self._caption("If undelivered, return to", top - 9)
        _draw_fitted(self.c, sender.name, (self.left, top - 19), BOLD, 8, self.width)
        address = ", ".join([*sender.street_lines, sender.city_line])
        y = top - 28
        for line in _wrap(address, FONT, 7, self.width, 2):
            self.c.setFont(FONT, 7)
            self.c.drawString(self.left, y, line)
            y -= 8.5
        extra = [_contact_line(sender)]
        if sender.gstin:
            extra.append(f"GSTIN: {sender.gstin}")
        _draw_fitted(
            self.c, "  |  ".join(e for e in extra if e), (self.left, y), FONT, 7, self.width
        )


def _format_weight(grams: int) -> str:
    return f"{Decimal(grams) / 1000:.2f} kg" if grams >= 1000 else f"{grams} g"


def render_label_pdf(doc: LabelDoc) -> bytes:
    """A 4x6 inch thermal shipping label with Code 128 barcodes of the AWB and order code."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LABEL_SIZE, invariant=1, pageCompression=1)
    _set_metadata(canvas, f"Shipping label {doc.awb}", f"{doc.transporter} {doc.shipment_code}")
    _LabelPainter(canvas, doc).paint()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Tax invoice (A4)
# ---------------------------------------------------------------------------------------------

_INV_MARGIN = 14 * mm
_INV_WIDTH = A4[0] - 2 * _INV_MARGIN
_S_SMALL = _style("small", 7.5)
_S_BODY = _style("body", 8.5)
_S_BOLD = _style("bold", 8.5, bold=True)
_S_CAPTION = _style("caption", 7, bold=True, textColor=GREY)
_S_SELLER = _style("seller", 14, bold=True)
_S_TITLE = _style("title", 18, bold=True, alignment=TA_RIGHT)
_S_RIGHT = _style("right", 8, alignment=TA_RIGHT)
_S_CELL = _style("cell", 8)
_S_HEAD = _style("head", 7.5, bold=True)
_S_HEAD_R = _style("head_r", 7.5, bold=True, alignment=TA_RIGHT)

_LINE_COLUMNS = (  # header, width, right aligned
    ("#", 16, False),
    ("Item", 150, False),
    ("Qty", 26, True),
    ("Rate", 52, True),
    ("Discount", 44, True),
    ("Taxable value", 58, True),
    ("Tax rate", 50, False),
    ("Tax amount", 50, True),
    ("Total", 0, True),  # takes the remaining width
)


def _line_col_widths() -> list[float]:
    widths = [float(w) for _, w, _ in _LINE_COLUMNS]
    widths[-1] = _INV_WIDTH - sum(widths)
    return widths


def _invoice_header(doc: InvoiceDoc) -> Table:
    seller = [_para(doc.seller_name, _S_SELLER), Spacer(1, 3)]
    seller.append(_para("\n".join(_address_lines(doc.seller_address, with_name=False)), _S_BODY))
    if contact := _contact_line(doc.seller_address):
        seller.append(_para(contact, _S_BODY))
    seller.append(_para(f"GSTIN: {doc.seller_gstin}", _S_BOLD))
    title = [
        _para("TAX INVOICE", _S_TITLE),
        Spacer(1, 2),
        _para("Original for recipient", _style("orig", 7.5, textColor=GREY, alignment=TA_RIGHT)),
    ]
    table = Table([[seller, title]], colWidths=[_INV_WIDTH * 0.62, _INV_WIDTH * 0.38])
    table.setStyle(_plain_table_style())
    return table


def _invoice_meta(doc: InvoiceDoc) -> Table:
    place = doc.shipping_address.state or doc.billing_address.state or "-"
    pairs = [
        ("Invoice No.", doc.invoice_number),
        ("Invoice date", format_date(doc.invoice_date)),
        ("Order No.", doc.order_code),
        ("Shipment", doc.shipment_code or "-"),
        ("Payment", doc.payment_method),
        ("Place of supply", place),
    ]
    cells = [[_para(k, _S_CAPTION), _para(v, _S_BOLD)] for k, v in pairs]
    rows = [cells[0] + cells[1] + cells[2], cells[3] + cells[4] + cells[5]]
    col = _INV_WIDTH / 6
    table = Table(rows, colWidths=[col * 0.7, col * 1.3] * 3)
    table.setStyle(
        TableStyle(
            [
                *_plain_table_style().getCommands(),
                ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F4F4F4")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _party_block(caption: str, address: Address) -> list[Flowable]:
    block: list[Flowable] = [_para(caption, _S_CAPTION), Spacer(1, 2)]
    lines = _address_lines(address, with_name=False)
    block += [_para(address.name, _S_BOLD), _para("\n".join(lines), _S_BODY)]
    if contact := _contact_line(address):
        block.append(_para(contact, _S_BODY))
    if address.gstin:
        block.append(_para(f"GSTIN: {address.gstin}", _S_BOLD))
    return block


def _invoice_parties(doc: InvoiceDoc) -> Table:
    row = [
        _party_block("Bill to", doc.billing_address),
        _party_block("Ship to", doc.shipping_address),
    ]
    table = Table([row], colWidths=[_INV_WIDTH / 2] * 2)
    table.setStyle(
        TableStyle(
            [
                *_plain_table_style().getCommands(),
                ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
                ("LINEAFTER", (0, 0), (0, 0), 0.75, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _plain_table_style() -> TableStyle:
    return TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]
    )


def _item_cell(line: InvoiceLine) -> Paragraph:
    details = f"SKU: {escape(line.sku)}"
    if line.hsn:
        details += f"  |  HSN: {escape(line.hsn)}"
    return Paragraph(
        f"<b>{escape(line.name)}</b><br/><font size=7 color='#555555'>{details}</font>", _S_CELL
    )


def _line_row(number: int, line: InvoiceLine, currency: str) -> list[Any]:
    def money(value: Decimal) -> Paragraph:
        return _para(format_amount(value, currency), _style("m", 8, alignment=TA_RIGHT))

    tax_rates = "\n".join(f"{t.type} {_format_rate(t.rate)}" for t in line.tax_items) or "-"
    tax_amounts = "\n".join(format_amount(t.amount, currency) for t in line.tax_items) or "-"
    return [
        str(number),
        _item_cell(line),
        _format_quantity(line.quantity),
        money(line.unit_price_excl_tax),
        money(line.discount),
        money(line.taxable_value),
        _para(tax_rates, _S_CELL),
        _para(tax_amounts, _S_RIGHT),
        _para(format_amount(line.line_total, currency), _style("t", 8, True, alignment=TA_RIGHT)),
    ]


def _invoice_lines(doc: InvoiceDoc) -> Table:
    header = [_para(name, _S_HEAD_R if right else _S_HEAD) for name, _, right in _LINE_COLUMNS]
    header[3] = _para(f"Rate ({currency_label(doc.currency)})", _S_HEAD_R)
    rows = [header] + [_line_row(i, line, doc.currency) for i, line in enumerate(doc.lines, 1)]
    table = Table(rows, colWidths=_line_col_widths(), repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
        ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
        ("ALIGN", (2, 1), (2, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (6, 0), (6, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    table.setStyle(TableStyle(style))
    return table


def _tax_summary(doc: InvoiceDoc) -> list[tuple[str, Decimal]]:
    """Tax amounts summed per (type, rate), in order of first appearance."""
    totals: dict[tuple[str, Decimal], Decimal] = {}
    for line in doc.lines:
        for tax in line.tax_items:
            key = (tax.type, Decimal(tax.rate).normalize())
            totals[key] = totals.get(key, Decimal(0)) + tax.amount
    return [(f"{kind} @ {_format_rate(rate)}", amount) for (kind, rate), amount in totals.items()]


def _invoice_totals(doc: InvoiceDoc) -> Table:
    cur = doc.currency
    rows: list[tuple[str, Decimal]] = [("Taxable value", doc.subtotal)]
    if doc.shipping_charge:
        rows.append(("Shipping charge", doc.shipping_charge))
    rows += _tax_summary(doc)
    rows.append(("Total tax", doc.tax_total))
    data: list[list[Any]] = [[k, format_amount(v, cur)] for k, v in rows]
    data.append([f"Grand total ({currency_label(cur)})", format_amount(doc.grand_total, cur)])
    totals = Table(data, colWidths=[120, 80], hAlign="RIGHT")
    totals.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONT", (0, -1), (-1, -1), BOLD, 10.5),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                ("BACKGROUND", (0, -1), (-1, -1), LIGHT),
                ("TOPPADDING", (0, -1), (-1, -1), 5),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
            ]
        )
    )
    words = [
        _para("Amount in words", _S_CAPTION),
        Spacer(1, 2),
        _para(amount_in_words(doc.grand_total, cur), _S_BOLD),
    ]
    outer = Table([[words, totals]], colWidths=[_INV_WIDTH - 200, 200])
    outer.setStyle(
        TableStyle(
            [
                *_plain_table_style().getCommands(),
                ("RIGHTPADDING", (0, 0), (0, 0), 16),
                ("TOPPADDING", (0, 0), (0, 0), 4),
            ]
        )
    )
    return outer


def _invoice_signature(doc: InvoiceDoc) -> Table:
    right = [
        _para(f"For {doc.seller_name}", _style("for", 8.5, True, alignment=TA_RIGHT)),
        Spacer(1, 30),
        _para("Authorised signatory", _style("auth", 8, alignment=TA_RIGHT)),
    ]
    note = _para(
        "Tax is payable on reverse charge: No.\n"
        "This is a computer-generated invoice and does not need a physical signature.",
        _style("note", 7.5, textColor=GREY),
    )
    table = Table([[note, right]], colWidths=[_INV_WIDTH * 0.6, _INV_WIDTH * 0.4])
    table.setStyle(_plain_table_style())
    return table


def _invoice_footer(doc: InvoiceDoc) -> Callable[[Canvas, int, int], None]:
    def footer(canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        y = _INV_MARGIN - 14
        canvas.drawString(_INV_MARGIN, y, f"Invoice {doc.invoice_number} - {doc.seller_name}")
        canvas.drawRightString(A4[0] - _INV_MARGIN, y, f"Page {page} of {pages}")
        canvas.restoreState()

    return footer


def render_invoice_pdf(doc: InvoiceDoc) -> bytes:
    """An A4 GST tax invoice; the line table continues over as many pages as needed."""
    buffer = io.BytesIO()
    template = _doc_template(
        buffer,
        f"Tax invoice {doc.invoice_number}",
        f"Order {doc.order_code}",
        leftMargin=_INV_MARGIN,
        rightMargin=_INV_MARGIN,
        topMargin=_INV_MARGIN,
        bottomMargin=_INV_MARGIN,
    )
    story: list[Flowable] = [
        _invoice_header(doc),
        Spacer(1, 8),
        _invoice_meta(doc),
        Spacer(1, 8),
        _invoice_parties(doc),
        Spacer(1, 10),
        _invoice_lines(doc),
        Spacer(1, 8),
        KeepTogether([_invoice_totals(doc), Spacer(1, 14), _invoice_signature(doc)]),
    ]
    template.build(story, canvasmaker=_numbered_canvas(_invoice_footer(doc)))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Manifest (A4)
# ---------------------------------------------------------------------------------------------

_MF_MARGIN = 12 * mm
_MF_WIDTH = A4[0] - 2 * _MF_MARGIN
_MF_HEADER_H = 78
_MF_COLUMNS = (  # header, width, alignment
    ("#", 22, TA_LEFT),
    ("Order / Shipment", 118, TA_LEFT),
    ("AWB", 0, TA_CENTER),  # takes the remaining width
    ("Boxes", 38, TA_RIGHT),
    ("Items", 38, TA_RIGHT),
    ("COD (Rs.)", 66, TA_RIGHT),
)


def _mf_col_widths() -> list[float]:
    widths = [float(w) for _, w, _ in _MF_COLUMNS]
    widths[2] = _MF_WIDTH - sum(widths)
    return widths


class _BarcodeCell(Flowable):
    """A Code 128 barcode with its value printed underneath, centred in a table cell."""

    def __init__(self, value: str, max_width: float, bar_height: float = 22) -> None:
        super().__init__()
        bar_widths = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
        self.value = value
        self.barcode = _barcode(value, max_width, bar_height, bar_widths)
        self.width = max_width
        self.height = bar_height + 11

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.barcode.drawOn(self.canv, (self.width - self.barcode.width) / 2, 11)
        self.canv.setFont(BOLD, 8.5)
        self.canv.drawCentredString(self.width / 2, 2, self.value)


def _mf_row(number: int, row: ManifestRow, awb_width: float) -> list[Any]:
    order = Paragraph(
        f"<b>{escape(row.order_code)}</b><br/>"
        f"<font size=7.5 color='#555555'>{escape(row.shipment_code)}</font>",
        _style("order", 9),
    )
    cod = format_amount(row.cod_amount) if row.cod_amount else "Prepaid"
    return [str(number), order, _BarcodeCell(row.awb, awb_width), row.boxes, row.items, cod]


def _mf_table(doc: ManifestDoc) -> Table:
    widths = _mf_col_widths()
    header = [name for name, _, _ in _MF_COLUMNS]
    rows = [_mf_row(i, row, widths[2] - 8) for i, row in enumerate(doc.rows, 1)]
    totals = [
        "",
        f"Total: {doc.total_shipments} shipments",
        "",
        doc.total_boxes,
        doc.total_items,
        format_amount(doc.total_cod),
    ]
    table = Table([header, *rows, totals], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(_mf_table_style(len(rows))))
    return table


def _mf_table_style(count: int) -> list[tuple[Any, ...]]:
    last = count + 1
    return [
        ("FONT", (0, 0), (-1, -1), FONT, 9),
        ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
        ("ALIGN", (2, 0), (2, -1), "CENTER"),
        ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("BOX", (0, 0), (-1, -1), 1, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("FONT", (0, last), (-1, last), BOLD, 9.5),
        ("BACKGROUND", (0, last), (-1, last), LIGHT),
        ("LINEABOVE", (0, last), (-1, last), 1, colors.black),
        ("SPAN", (1, last), (2, last)),
        ("TOPPADDING", (0, 1), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 2.5),
    ]


def _mf_summary(doc: ManifestDoc) -> Table:
    prepaid = doc.total_shipments - doc.cod_shipments
    data = [
        ["Shipments", str(doc.total_shipments), "COD shipments", str(doc.cod_shipments)],
        ["Boxes", str(doc.total_boxes), "Prepaid shipments", str(prepaid)],
        ["Items", str(doc.total_items), "COD to collect", format_money(doc.total_cod)],
    ]
    table = Table(data, colWidths=[70, 60, 100, 110], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("FONT", (1, 0), (1, -1), BOLD, 9),
                ("FONT", (3, 0), (3, -1), BOLD, 9),
                ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
                ("LINEAFTER", (1, 0), (1, -1), 0.5, colors.HexColor("#888888")),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("ALIGN", (3, 0), (3, -1), "RIGHT"),
            ]
        )
    )
    return table


def _signature_block(caption: str, party: str) -> list[Flowable]:
    line = "_" * 38
    return [
        _para(caption, _S_CAPTION),
        _para(party, _style("party", 9.5, True)),
        Spacer(1, 16),
        _para(f"Name:  {line}", _S_BODY),
        Spacer(1, 14),
        _para(f"Signature:  {line[:-4]}", _S_BODY),
        Spacer(1, 14),
        _para(f"Date & time:  {line[:-6]}", _S_BODY),
    ]


def _mf_signatures(doc: ManifestDoc) -> Table:
    warehouse = f"{doc.warehouse_address.name} ({doc.location_code})"
    row = [
        _signature_block("Handed over by (warehouse)", warehouse),
        _signature_block("Received by (courier)", doc.transporter),
    ]
    table = Table([row], colWidths=[_MF_WIDTH / 2] * 2)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
                ("LINEAFTER", (0, 0), (0, 0), 0.75, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def _mf_page_header(canvas: Canvas, doc: ManifestDoc) -> None:
    top = A4[1] - _MF_MARGIN
    left, right = _MF_MARGIN, A4[0] - _MF_MARGIN
    canvas.setFont(BOLD, 16)
    canvas.drawString(left, top - 16, "COURIER MANIFEST")
    _draw_fitted(
        canvas, doc.manifest_code, (left + 200, top - 16), BOLD, 14, right - left - 200, "right"
    )
    canvas.setLineWidth(1.2)
    canvas.line(left, top - 24, right, top - 24)
    warehouse = doc.warehouse_address
    fields = [
        ("Courier", doc.transporter, "Created", format_datetime(doc.created_at)),
        ("Location", doc.location_code, "Warehouse", warehouse.name),
    ]
    for index, (k1, v1, k2, v2) in enumerate(fields):
        y = top - 40 - index * 16
        _mf_field(canvas, (left, y), k1, v1, 170)
        _mf_field(canvas, (left + 185, y), k2, v2, right - left - 185)
    address = ", ".join([*warehouse.street_lines, warehouse.city_line])
    canvas.setFillColor(GREY)
    _draw_fitted(canvas, address, (left + 235, top - 68), FONT, 8, right - left - 235)
    canvas.setFillColor(colors.black)


def _mf_field(
    canvas: Canvas, xy: tuple[float, float], caption: str, value: str, width: float
) -> None:
    x, y = xy
    canvas.setFont(FONT, 8)
    canvas.setFillColor(GREY)
    canvas.drawString(x, y, caption)
    canvas.setFillColor(colors.black)
    _draw_fitted(canvas, value, (x + 50, y), BOLD, 10.5, width - 50)


def _mf_footer(doc: ManifestDoc) -> Callable[[Canvas, int, int], None]:
    def footer(canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        _mf_page_header(canvas, doc)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        y = _MF_MARGIN - 16
        text = f"Manifest {doc.manifest_code} - {doc.transporter} - {doc.total_shipments} shipments"
        canvas.drawString(_MF_MARGIN, y, text)
        canvas.drawRightString(A4[0] - _MF_MARGIN, y, f"Page {page} of {pages}")
        canvas.restoreState()

    return footer


def render_manifest_pdf(doc: ManifestDoc) -> bytes:
    """An A4 courier manifest: one row per shipment with its AWB barcode, totals, signatures."""
    buffer = io.BytesIO()
    template = _doc_template(
        buffer,
        f"Manifest {doc.manifest_code}",
        f"{doc.transporter} {doc.location_code}",
        leftMargin=_MF_MARGIN,
        rightMargin=_MF_MARGIN,
        topMargin=_MF_MARGIN + _MF_HEADER_H,
        bottomMargin=_MF_MARGIN,
    )
    story: list[Flowable] = [
        _mf_table(doc),
        Spacer(1, 12),
        KeepTogether([_mf_summary(doc), Spacer(1, 14), _mf_signatures(doc)]),
    ]
    template.build(story, canvasmaker=_numbered_canvas(_mf_footer(doc)))
    return buffer.getvalue()
