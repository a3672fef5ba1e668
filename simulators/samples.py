"""Realistic Indian-webshop data for the fake Magento (INR, GST 18 % included in prices).

``seed_magento(sim, count, seed=1)`` adds ``count`` orders (deterministic for a seed and a start
time): registered and guest customers, addresses with one to three street lines, COD
(``cashondelivery``) and prepaid (``checkmo``, ``razorpay``) payments, simple, configurable and
bundle lines, coupons, free shipping over INR 999, a mix of pending / processing / complete /
canceled orders, exactly one held order and one virtual-only order, and the catalog's products
with stock.  Real-shop money and limits (contract 8): applied taxes titled by GST head
(``CGST 9%`` + ``SGST 9%`` within Karnataka, the seller's state, ``IGST 18%`` elsewhere), an HSN
code on every product, coupons that also ship free (a shipping discount), store credit / gift card /
reward point payments, SKUs with ``/``, spaces and non-ASCII letters, and order 5 (if ``count``
>= 5) with 25 lines (more than Magento's REST input limit).  ``new_random_order(sim, rng)``
adds one new pending order at the simulator's clock (for demos that add orders over time).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators.magento import DATE_FORMAT, MagentoSimulator

GST_PERCENT = 18.0
FREE_SHIPPING_OVER = 999.0
SHIPPING_CHARGE = 79.0
DEFAULT_START = datetime(2025, 1, 6, 3, 30, tzinfo=UTC)

FIRST_NAMES = (
    "Aarav Vivaan Aditya Vihaan Arjun Sai Reyansh Krishna Ishaan Rohan Ananya Diya Aadhya "
    "Saanvi Pari Anika Navya Myra Kavya Priya Meera Lakshmi Farhan Imran Zoya Harpreet "
    "Gurpreet Simran Joseph Mary Thomas Deepika Rahul Sneha Vikram Pooja Karthik Divya"
).split()
LAST_NAMES = (
    "Sharma Verma Gupta Iyer Nair Reddy Rao Patel Shah Mehta Singh Kaur Das Banerjee "
    "Chatterjee Mukherjee Pillai Menon Khan Qureshi Fernandes D'Souza Joshi Kulkarni Desai "
    "Naidu Bose Chauhan Yadav Mishra"
).split()
EMAIL_DOMAINS = ("gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com", "example.in")

# city, region, region_code, region_id, postcode prefix
CITIES = (
    ("Bengaluru", "Karnataka", "KA", 549, "5600"),
    ("Mumbai", "Maharashtra", "MH", 553, "4000"),
    ("Pune", "Maharashtra", "MH", 553, "4110"),
    ("New Delhi", "Delhi", "DL", 538, "1100"),
    ("Chennai", "Tamil Nadu", "TN", 563, "6000"),
    ("Hyderabad", "Telangana", "TG", 564, "5000"),
    ("Kolkata", "West Bengal", "WB", 569, "7000"),
    ("Ahmedabad", "Gujarat", "GJ", 541, "3800"),
    ("Jaipur", "Rajasthan", "RJ", 561, "3020"),
    ("Lucknow", "Uttar Pradesh", "UP", 567, "2260"),
    ("Kochi", "Kerala", "KL", 550, "6820"),
    ("Chandigarh", "Chandigarh", "CH", 536, "1600"),
)
BUILDINGS = (
    "Sunrise Apartments",
    "Green Park Residency",
    "Shanti Nivas",
    "Lake View Towers",
    "Sai Krupa",
    "Prestige Enclave",
    "Royal Heights",
    "Ganga Complex",
)
ROADS = (
    "MG Road",
    "1st Main Road",
    "Station Road",
    "Nehru Nagar",
    "Gandhi Street",
    "Ring Road",
    "Temple Street",
    "Park Avenue",
    "80 Feet Road",
    "Link Road",
)
LANDMARKS = (
    "Near City Hospital",
    "Opp. Bus Depot",
    "Behind SBI Bank",
    "Near Metro Station",
    "Next to Big Bazaar",
    "Near Hanuman Temple",
)

# sku, name, tax-inclusive price
SIMPLES = (
    ("KURTA-COT-BLU-M", "Cotton Kurta Blue M", 1299.0),
    ("KURTA-COT-WHT-L", "Cotton Kurta White L", 1299.0),
    ("SAREE-SILK-RED", "Banarasi Silk Saree Red", 4999.0),
    ("DUPATTA-CHF-YEL", "Chiffon Dupatta Yellow", 599.0),
    ("JUTTI-LTH-BLK-8", "Leather Jutti Black 8", 1499.0),
    ("MUG-CHAI-350", "Chai Mug 350 ml", 299.0),
    ("TEA-ASSAM-250", "Assam Tea 250 g", 349.0),
    ("BEDSHEET-JPR-DBL", "Jaipuri Bedsheet Double", 1799.0),
    ("CUSHION-BLK-PRT", "Block Print Cushion Cover", 449.0),
    ("DIYA-BRASS", "Brass Diya", 249.0),
    ("KURTA/SET-M", "Kurta Pyjama Set M", 1599.0),
    ("SCHAL ÜBER XL", "Woollen Shawl XL", 999.0),
)
# The seller's state (GST: intra-state CGST + SGST, else IGST).
SELLER_STATE = "Karnataka"
# HSN code of each catalog product, by SKU prefix (product attribute hsn_code).
HSN_CODES = {
    "KURTA": "6211",
    "SAREE": "5007",
    "DUPATTA": "6214",
    "JUTTI": "6403",
    "MUG": "6912",
    "TEA": "0902",
    "BEDSHEET": "6302",
    "CUSHION": "6304",
    "DIYA": "7419",
    "SCHAL": "6214",
    "TEE": "6109",
    "JEANS": "6203",
    "COOKIES": "1905",
    "AGARBATTI": "3307",
    "KUMKUM": "3304",
    "BANGLE": "7018",
}
# Order 5's 25 lines: glass bangles in 25 colours.
BANGLES = tuple((f"BANGLE-GLS-{n:02d}", f"Glass Bangle Set #{n:02d}", 149.0) for n in range(1, 26))
# Paid otherwise than through the gateway (Adobe Commerce extension_attributes).
OTHER_PAYMENTS = ("customer_balance_amount", "gift_cards_amount", "reward_currency_amount")
CONFIGURABLES = (
    (
        "TEE",
        "Classic Crew Tee",
        799.0,
        [f"TEE-{c}-{s}" for c in ("RED", "BLK", "NVY") for s in "SML"],
    ),
    ("JEANS", "Slim Fit Jeans", 1899.0, [f"JEANS-IND-{w}" for w in (28, 30, 32, 34, 36)]),
)
# sku, name, dynamic price, ship together, fixed price, children (sku, qty per bundle, price)
BUNDLES: tuple[tuple[str, str, bool, bool, float, tuple[tuple[str, int, float], ...]], ...] = (
    (
        "GIFT-HAMPER",
        "Festive Gift Hamper",
        True,
        True,
        0.0,
        (("TEA-ASSAM-250", 1, 349.0), ("COOKIES-BTR-200", 2, 199.0), ("MUG-CHAI-350", 1, 299.0)),
    ),
    (
        "POOJA-KIT",
        "Pooja Essentials Kit",
        False,
        False,
        999.0,
        (("DIYA-BRASS", 2, 0.0), ("AGARBATTI-100", 1, 0.0), ("KUMKUM-50", 1, 0.0)),
    ),
)
VIRTUALS = (
    ("GIFTCARD-500", "E-Gift Card INR 500", 500.0),
    ("EXT-WARRANTY-1Y", "Extended Warranty", 199.0),
)
COUPONS = ("WELCOME10", "FESTIVE15", "DIWALI20")


def _all_skus() -> list[tuple[str, str]]:
    skus = [(sku, "simple") for sku, _, _ in SIMPLES]
    for parent, _, _, children in CONFIGURABLES:
        skus += [(parent, "configurable")] + [(child, "simple") for child in children]
    for bundle in BUNDLES:
        skus += [(bundle[0], "bundle")] + [(c[0], "simple") for c in bundle[5]]
    skus += [(sku, "virtual") for sku, _, _ in VIRTUALS]
    skus += [(sku, "simple") for sku, _, _ in BANGLES]
    return list(dict.fromkeys(skus))


def hsn_of(sku: str) -> str:
    return HSN_CODES.get(sku.replace("/", "-").replace(" ", "-").split("-")[0], "")


def seed_catalog(sim: MagentoSimulator, rng: random.Random) -> None:
    """Products with stock (a few simple SKUs out of stock)."""
    for sku, kind in _all_skus():
        if sku in sim.products:
            continue
        qty = 0 if kind == "simple" and rng.random() < 0.08 else rng.randint(5, 250)
        hsn = hsn_of(sku)
        sim.add_product(sku, qty=qty, type=kind, attributes={"hsn_code": hsn} if hsn else None)


# -- random pieces -------------------------------------------------------------------------------


def _phone(rng: random.Random) -> str:
    number = rng.choice("6789") + "".join(rng.choice("0123456789") for _ in range(9))
    return rng.choice((number, number, f"+91 {number}", f"0{number}"))


def random_customer(rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    user = f"{first}.{last}".lower().replace("'", "")
    email = f"{user}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
    return {"email": email, "firstname": first, "lastname": last}


def random_address(rng: random.Random, customer: Mapping[str, Any]) -> dict[str, Any]:
    city, region, code, region_id, prefix = rng.choice(CITIES)
    street = [
        f"{rng.choice(('Flat', 'House No.', 'No.'))} {rng.randint(1, 999)}, {rng.choice(BUILDINGS)}"
    ]
    if rng.random() < 0.85:
        street.append(f"{rng.choice(ROADS)}, {city}")
    if rng.random() < 0.4:
        street.append(rng.choice(LANDMARKS))
    return {
        "firstname": customer["firstname"],
        "lastname": customer["lastname"],
        "street": street,
        "city": city,
        "region": region,
        "region_code": code,
        "region_id": region_id,
        "postcode": prefix + f"{rng.randint(1, 99):02d}",
        "country_id": "IN",
        "telephone": _phone(rng),
    }


def _simple_line(rng: random.Random) -> dict[str, Any]:
    sku, name, price = rng.choice(SIMPLES)
    return {"sku": sku, "name": name, "price": price, "qty": rng.choice((1, 1, 1, 2, 3))}


def _configurable_line(rng: random.Random) -> dict[str, Any]:
    parent, name, price, children = rng.choice(CONFIGURABLES)
    child = rng.choice(children)
    return {
        "type": "configurable",
        "sku": child,
        "parent_sku": parent,
        "name": name,
        "child_name": f"{name}-{child.split('-', 1)[1]}",
        "price": price,
        "qty": rng.choice((1, 1, 2)),
    }


def _bundle_line(rng: random.Random) -> dict[str, Any]:
    sku, name, dynamic, together, price, children = rng.choice(BUNDLES)
    return {
        "type": "bundle",
        "sku": sku,
        "name": name,
        "qty": 1,
        "dynamic_price": dynamic,
        "ship_together": together,
        "price": price,
        "children": [{"sku": c, "qty": q, "price": p} for c, q, p in children],
    }


def _virtual_line(rng: random.Random) -> dict[str, Any]:
    sku, name, price = rng.choice(VIRTUALS)
    return {"type": "virtual", "sku": sku, "name": name, "price": price, "qty": 1}


def random_lines(rng: random.Random) -> list[dict[str, Any]]:
    lines = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        roll = rng.random()
        if roll < 0.6:
            lines.append(_simple_line(rng))
        elif roll < 0.85:
            lines.append(_configurable_line(rng))
        elif roll < 0.95:
            lines.append(_bundle_line(rng))
        else:
            lines.append(_virtual_line(rng))
    return lines


def _gross(lines: list[dict[str, Any]]) -> float:
    total = 0.0
    for line in lines:
        if line.get("type") == "bundle" and line.get("dynamic_price"):
            total += sum(c["price"] * c["qty"] for c in line["children"]) * line["qty"]
        else:
            total += line["price"] * line["qty"]
    return total


def random_order_kwargs(rng: random.Random, lines: list[dict[str, Any]]) -> dict[str, Any]:
    customer = random_customer(rng)
    gross = _gross(lines)
    kwargs: dict[str, Any] = {
        "customer": customer,
        "guest": rng.random() < 0.3,
        "address": random_address(rng, customer),
        "payment_method": rng.choices(("cashondelivery", "razorpay", "checkmo"), (45, 40, 15))[0],
        "tax_percent": GST_PERCENT,
        "prices_include_tax": True,
        "shipping_amount": 0.0 if gross > FREE_SHIPPING_OVER else SHIPPING_CHARGE,
        "shipping_description": "Standard Delivery - Flat Rate",
    }
    kwargs["gst"] = "intra" if kwargs["address"]["region"] == SELLER_STATE else "inter"
    if rng.random() < 0.1:
        coupon = rng.choice(COUPONS)
        kwargs["coupon_code"] = coupon
        kwargs["discount"] = round(gross * int(coupon[-2:]) / 100, 2)
    if rng.random() < 0.15:
        kwargs["billing_address"] = random_address(rng, customer)
    if kwargs.get("coupon_code") and kwargs["shipping_amount"]:
        kwargs["shipping_discount"] = kwargs["shipping_amount"]  # coupons also ship free
    _other_payment(kwargs, gross)
    return kwargs


# -- seeding -------------------------------------------------------------------------------------


def _restock_for(sim: MagentoSimulator, order: Mapping[str, Any]) -> None:
    """The shop received goods: every source holds enough units to ship the order (Magento
    refuses a shipment its source cannot cover)."""
    for item in order["items"]:
        product = sim.products.get(item["sku"])
        if item["product_type"] != "simple" or item.get("is_virtual") or product is None:
            continue
        held = float(product["sources"].get("default", {}).get("quantity") or 0)
        if held < float(item["qty_ordered"]):
            sim.set_stock(item["sku"], held + float(item["qty_ordered"]))


def _advance(sim: MagentoSimulator, order: Mapping[str, Any], rng: random.Random) -> None:
    """Move some orders along: processing (invoiced), complete, canceled."""
    roll = rng.random()
    entity_id = int(order["entity_id"])
    if roll < 0.2 and not order["is_virtual"]:
        sim.advance_clock(rng.randint(600, 86400))
        sim.invoice(entity_id)
        sim.advance_clock(rng.randint(600, 86400))
        _restock_for(sim, order)
        sim.ship(
            entity_id,
            tracks=[
                {
                    "track_number": f"AWB{entity_id:08d}",
                    "title": "Delhivery",
                    "carrier_code": "custom",
                }
            ],
        )
    elif roll < 0.3:
        sim.advance_clock(rng.randint(600, 7200))
        sim.invoice(entity_id)
    elif roll < 0.33:
        sim.advance_clock(rng.randint(600, 7200))
        sim.cancel(entity_id)


def seed_magento(
    sim: MagentoSimulator,
    count: int,
    *,
    seed: int = 1,
    start: datetime | str | None = None,
) -> None:
    """Fill ``sim`` with ``count`` orders (deterministic for ``seed`` and ``start``).

    Orders are created from ``start`` (default 2025-01-06 03:30 UTC) onwards, a few minutes
    apart, some with exactly equal ``created_at``.  Order 2 (if ``count`` >= 2) is held and
    order 3 (if ``count`` >= 3) is virtual-only.  The simulator's clock is restored afterwards.
    """
    rng = random.Random(seed)
    with sim.lock:
        saved = sim.clock_snapshot()
        try:
            seed_catalog(sim, rng)
            when = _start(start)
            for n in range(count):
                when += timedelta(
                    seconds=rng.choice((0, 0, 5)) if rng.random() < 0.1 else rng.randint(30, 900)
                )
                _seed_one(sim, rng, n, when)
        finally:
            sim.restore_clock(saved)


def _start(start: datetime | str | None) -> datetime:
    if start is None:
        return DEFAULT_START
    if isinstance(start, str):
        return datetime.strptime(start, DATE_FORMAT).replace(tzinfo=UTC)
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def _other_payment(kwargs: dict[str, Any], gross: float) -> None:
    """Every registered customer whose email starts with a vowel pays 100 (or less) otherwise:
    store credit, a gift card or reward points, by the length of the email."""
    email = str(kwargs["customer"]["email"])
    if kwargs["guest"] or email[0] not in "aeiou" or gross <= 100:
        return
    kwargs["payments"] = {OTHER_PAYMENTS[len(email) % 3]: 100.0}


def _bangle_lines() -> list[dict[str, Any]]:
    return [{"sku": sku, "name": name, "price": price, "qty": 1} for sku, name, price in BANGLES]


def _seed_one(sim: MagentoSimulator, rng: random.Random, n: int, when: datetime) -> None:
    sim.set_clock(when)
    lines = random_lines(rng)
    if n == 2:
        lines = [_virtual_line(rng)]
    if n == 4:
        lines = _bangle_lines()
    kwargs = random_order_kwargs(rng, lines)
    if n == 1:
        kwargs.update(state="holded", status="holded")
    order = sim.add_order(lines, **kwargs)
    if n > 2:
        _advance(sim, order, rng)


def new_random_order(sim: MagentoSimulator, rng: random.Random) -> dict[str, Any]:
    """Add one pending order created now (on the simulator's clock); returns it."""
    with sim.lock:
        seed_catalog(sim, rng)
        lines = random_lines(rng)
        return sim.add_order(lines, **random_order_kwargs(rng, lines))
