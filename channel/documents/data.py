"""Plain, immutable inputs for the PDF renderers in :mod:`channel.documents.render`.

Everything here is a frozen dataclass of plain values (``str``, ``int``, ``Decimal``, UTC
``datetime``) so the renderers stay pure functions and the same data always gives the same
PDF bytes. Sequences are stored as tuples (lists passed in are converted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

ZERO = Decimal("0")


def _freeze(obj: object, name: str) -> None:
    """Store ``obj.<name>`` as a tuple so the frozen dataclass really is immutable."""
    object.__setattr__(obj, name, tuple(getattr(obj, name)))


@dataclass(frozen=True, kw_only=True)
class Address:
    name: str
    line1: str
    line2: str = ""
    line3: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = "IN"
    phone: str = ""
    email: str = ""
    gstin: str | None = None

    @classmethod
    def from_omni(cls, data: Mapping[str, Any], *, default_name: str = "") -> Address:
        """From an address in Omni's shape (name, line1..3, city, state, zip, country, ...)."""
        text = {
            name: str(data.get(name) or "")
            for name in ("line1", "line2", "line3", "city", "state", "zip", "phone", "email")
        }
        name = str(data.get("name") or default_name)
        return cls(name=name, country=str(data.get("country") or "IN"), **text)

    @property
    def street_lines(self) -> tuple[str, ...]:
        """The non-empty street lines, in order."""
        return tuple(line for line in (self.line1, self.line2, self.line3) if line.strip())

    @property
    def city_line(self) -> str:
        """``"City, State - ZIP"`` with empty parts left out."""
        place = ", ".join(part for part in (self.city, self.state) if part.strip())
        if self.zip.strip():
            return f"{place} - {self.zip}" if place else self.zip
        return place


@dataclass(frozen=True, kw_only=True)
class TaxLine:
    type: str  # "GST", "CGST", "SGST", "IGST", "CESS", ...
    rate: Decimal  # percent, e.g. Decimal("18")
    amount: Decimal  # for the whole invoice line (all units)


@dataclass(frozen=True, kw_only=True)
class InvoiceLine:
    sku: str
    name: str
    quantity: int
    unit_price_excl_tax: Decimal
    unit_price_incl_tax: Decimal
    discount: Decimal = ZERO  # for the whole line, before tax
    tax_items: tuple[TaxLine, ...] = ()
    line_total: Decimal = ZERO  # incl. tax, after discount
    hsn: str = ""  # HSN/SAC code, printed when given

    def __post_init__(self) -> None:
        _freeze(self, "tax_items")

    @property
    def tax_amount(self) -> Decimal:
        return sum((tax.amount for tax in self.tax_items), ZERO)

    @property
    def taxable_value(self) -> Decimal:
        """Line total without tax (quantity x rate - discount)."""
        return self.line_total - self.tax_amount


@dataclass(frozen=True, kw_only=True)
class InvoiceDoc:
    seller_name: str
    seller_address: Address
    seller_gstin: str
    billing_address: Address
    shipping_address: Address
    order_code: str
    invoice_number: str
    invoice_date: datetime  # UTC; printed as an Indian (IST) date
    payment_method: str
    currency: str = "INR"
    lines: tuple[InvoiceLine, ...] = ()
    shipping_charge: Decimal = ZERO
    subtotal: Decimal = ZERO  # taxable value of the lines (excl. tax, after discount)
    tax_total: Decimal = ZERO
    grand_total: Decimal = ZERO
    shipment_code: str = ""  # printed when given

    def __post_init__(self) -> None:
        _freeze(self, "lines")


class PaymentType(StrEnum):
    COD = "COD"
    PREPAID = "PREPAID"


@dataclass(frozen=True, kw_only=True)
class LabelDoc:
    from_address: Address
    to_address: Address
    order_code: str
    shipment_code: str
    awb: str
    transporter: str
    weight_grams: int
    length_cm: Decimal
    breadth_cm: Decimal
    height_cm: Decimal
    payment_type: PaymentType
    cod_amount: Decimal = ZERO  # to collect on delivery; ignored when prepaid
    item_count: int = 1
    order_date: datetime | None = None  # UTC
    box_count: int = 1


@dataclass(frozen=True, kw_only=True)
class ManifestRow:
    order_code: str
    shipment_code: str
    awb: str
    boxes: int
    items: int
    cod_amount: Decimal = ZERO  # zero for prepaid shipments


@dataclass(frozen=True, kw_only=True)
class ManifestDoc:
    manifest_code: str
    transporter: str
    location_code: str
    warehouse_address: Address
    created_at: datetime  # UTC
    rows: tuple[ManifestRow, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "rows")

    @property
    def total_shipments(self) -> int:
        return len(self.rows)

    @property
    def total_boxes(self) -> int:
        return sum(row.boxes for row in self.rows)

    @property
    def total_items(self) -> int:
        return sum(row.items for row in self.rows)

    @property
    def total_cod(self) -> Decimal:
        return sum((row.cod_amount for row in self.rows), ZERO)

    @property
    def cod_shipments(self) -> int:
        return sum(1 for row in self.rows if row.cod_amount > 0)
