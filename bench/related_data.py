"""What the proxy keeps of an order's life, made in SQL for orders already in the mirror
(PostgreSQL), for the support-desk and storage benchmarks (``generate_orders.py --related``).

Per order: 11 call records, 6 audit events, 3 operations with one attempt each, 4 idempotency
records, 1 shipment with its lines, its AWB and its manifest entry (one manifest a day), 1 invoice,
history rows (2 of the order, 2 of the shipment, 1 of the invoice); every 33rd order has a return
of one unit. Bodies and JSON have the sizes the proxy stores (Magento's order JSON for the order
refresh, an ``<OutwardOrder>`` for Omni's reads and the push, short answers elsewhere).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

CHUNK = 20_000
WORKERS = 2  # connections loading at once: one per core of the benchmark machine
# The tables one connection fills; another fills the rest at the same time (chunk by chunk,
# each table by one connection, so every table's ids still follow the orders' times).
FIRST_STREAM = ("channel_callrecord", "channel_idempotencyrecord", "channel_historicalorder")
# Each loading session: no wait for the WAL flush at commit (a crash loses the last chunks of a
# benchmark database, nothing else); no foreign-key checks (triggers off, as pg_restore
# --disable-triggers: the rows are made from rows that exist; Django's constraints are deferred,
# so the checks, one per row, ran at each commit); sorts for the index builds in memory.
SESSION = [
    "SET synchronous_commit = off",
    "SET session_replication_role = replica",
    "SET maintenance_work_mem = '256MB'",
]
PHASES: list[tuple[str, float]] = []


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time a phase of the generation; ``report_phases`` prints them all."""
    begun = time.monotonic()
    print(f"  {name} …", flush=True)
    try:
        yield
    finally:
        spent = time.monotonic() - begun
        PHASES.append((name, spent))
        print(f"  {name}: {spent:.0f} s", flush=True)


def report_phases() -> None:
    total = sum(spent for _, spent in PHASES)
    print("# phases (seconds):")
    for name, spent in PHASES:
        print(f"#   {name:44} {spent:7.1f}  {100 * spent / total if total else 0:5.1f} %")
    print(f"#   {'total':44} {total:7.1f}")


def prepare_session() -> None:
    """Settings of this thread's connection for a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in SESSION:
            cursor.execute(statement)


def parallel(jobs: Sequence[Callable[[], None]], workers: int | None = None) -> None:
    """Run ``jobs`` on ``workers`` threads, each with its own database connection (PostgreSQL
    works on one core per connection), in the order given; the first error is raised."""
    from django.db import connection

    workers = workers or WORKERS

    def run(job: Callable[[], None]) -> None:
        prepare_session()
        job()

    def finish() -> None:
        connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for future in [pool.submit(run, job) for job in jobs]:
                future.result()
        finally:
            for future in [pool.submit(finish) for _ in range(workers)]:
                future.result()


ADDRESS = {
    "name": "Priya Sharma",
    "line1": "Flat 402, Lotus Residency",
    "line2": "14th Cross, Indiranagar",
    "line3": "",
    "city": "Bengaluru",
    "state": "Karnataka",
    "zip": "560038",
    "country": "India",
    "email": "priya.sharma@example.in",
    "phone": "9845012345",
}
ITEM = {
    "orderItemCode": "{entity}01",
    "channelSkuCode": "KURTA-COTTON-BLUE-M",
    "quantity": 1,
    "sellingPricePerUnit": 1299.0,
    "shippingChargePerUnit": 49.0,
    "discountPerUnit": 130.0,
    "giftChargesPerUnit": 0,
    "cashOnDeliveryChargesPerUnit": 0,
}
OUTWARD = json.dumps(
    {
        "orderCode": "{code}",
        "orderTime": "2026-11-20T10:15:00.000+05:30",
        "orderType": "SO",
        "isPriority": False,
        "gift": False,
        "onHold": False,
        "qcStatus": "PASS",
        "dispatchByTime": "2026-11-22T10:15:00.000+05:30",
        "startProcessingTime": "2026-11-20T10:16:00.000+05:30",
        "locationCode": "WH1",
        "paymentMethod": "COD",
        "shippingAddress": ADDRESS,
        "billingAddress": ADDRESS,
        "orderItems": [ITEM, {**ITEM, "orderItemCode": "{entity}02"}],
        "orderCustomAttributes": {"magentoEntityId": "{entity}", "storeId": "1"},
    }
)
PACK = json.dumps(
    {
        "orderCode": "{code}",
        "locationCode": "WH1",
        "shipmentId": "{entity}",
        "shipmentItems": [{"orderItemCode": "{entity}01", "quantity": 1}],
        "packBoxDetails": [{"length": 20, "breadth": 15, "height": 10, "weight": 0.5}],
    }
)
INVOICE_ANSWER = json.dumps(
    {
        "orderCode": "{code}",
        "shipmentCode": "{code}-1",
        "invoiceCode": "INV{entity}",
        "invoiceDate": "2026-11-21T09:00:00.000+05:30",
        "invoiceDetails": [
            {
                "orderItemCode": "{entity}01",
                "channelSkuCode": "KURTA-COTTON-BLUE-M",
                "quantity": 1,
                "sellingPricePerUnit": 1299.0,
                "taxPercent": 5.0,
                "taxAmount": 61.86,
                "hsnCode": "6211",
            }
        ],
        "invoiceUrl": "/api/omni/invoices/{code}-1/pdf",
    }
)
# (direction, system, method, path, status, duration_ms, request, response, minutes after order)
CALLS: list[tuple[str, str, str, str, int, int, str, str, int]] = [
    ("out", "magento", "GET", "/V1/orders/{entity}", 200, 61, "", "{raw}", 0),
    ("out", "omni", "POST", "/orders/outward", 200, 140, OUTWARD, '{"hasError": false}', 1),
    ("in", "api", "GET", "/api/omni/orders/{code}", 200, 70, "", OUTWARD, 4),
    (
        "in",
        "api",
        "PUT",
        "/api/omni/orders/acknowledge",
        200,
        120,
        '{"orderCode": "{code}", "locationCode": "WH1"}',
        '{"hasError": false}',
        5,
    ),
    (
        "out",
        "magento",
        "POST",
        "/V1/orders/{entity}/comments",
        200,
        58,
        '{"statusHistory": {"comment": "Acknowledged by Omni at WH1", "is_customer_notified": 0,'
        ' "is_visible_on_front": 0, "parent_id": {entity}}}',
        "true",
        5,
    ),
    ("in", "api", "POST", "/api/omni/shipments/pack", 200, 65, PACK, '{"hasError": false}', 60),
    (
        "in",
        "api",
        "POST",
        "/api/omni/invoices",
        200,
        180,
        '{"orderCode": "{code}", "shipmentCode": "{code}-1"}',
        INVOICE_ANSWER,
        61,
    ),
    (
        "out",
        "magento",
        "POST",
        "/V1/order/{entity}/invoice",
        200,
        240,
        '{"capture": false, "items": [{"order_item_id": {entity}01, "qty": 1}], "notify": false}',
        '"{entity}"',
        61,
    ),
    (
        "in",
        "api",
        "GET",
        "/api/omni/shipping-label",
        200,
        90,
        "",
        '{"shipmentCode": "{code}-1", "awbNumber": "{awb}", "transporter": "Delhivery",'
        ' "shippingLabelUrl": "/api/omni/shipping-label/{code}-1.pdf"}',
        62,
    ),
    (
        "in",
        "api",
        "POST",
        "/api/omni/shipments/handover",
        200,
        75,
        '{"locationCode": "WH1", "shipments": [{"shipmentCode": "{code}-1",'
        ' "awbNumber": "{awb}"}]}',
        '{"hasError": false}',
        600,
    ),
    (
        "out",
        "magento",
        "POST",
        "/V1/order/{entity}/ship",
        200,
        230,
        '{"items": [{"order_item_id": {entity}01, "qty": 1}], "tracks": [{"track_number": "{awb}",'
        ' "title": "Delhivery", "carrier_code": "custom"}], "notify": true}',
        '"{entity}"',
        601,
    ),
]
EVENTS = [  # action, actor, subject, message, minutes after the order
    ("order.mirrored", "magento", "", "Mirrored from Magento", 0),
    ("order.pushed", "system", "", "Pushed to Omni", 1),
    ("order.acknowledged", "omni", "order:{code}", "Acknowledged by Omni at WH1", 5),
    ("order.packed", "omni", "shipment:{code}-1", "Shipment {code}-1 packed at WH1 (1 unit)", 60),
    ("order.invoiced", "system", "shipment:{code}-1", "Invoice INV{entity} created in Magento", 61),
    (
        "order.handed_over",
        "omni",
        "shipment:{code}-1",
        "Shipment {code}-1 handed over to Delhivery, AWB {awb}",
        600,
    ),
]
OPERATIONS = [
    ("omni.push_order", 1, '{"orderCode": "{code}"}'),
    ("magento.create_invoice", 61, '{"invoice_id": {entity}}'),
    ("magento.ship", 601, '{"shipment_id": {entity}}'),
]
IDEMPOTENCY = [("acknowledge", 5), ("pack", 60), ("invoice", 61), ("handover", 600)]
MAGENTO_INVOICE = json.dumps(
    {
        "entity_id": "{entity}",
        "increment_id": "INV{entity}",
        "order_id": "{entity}",
        "state": 2,
        "grand_total": 1218.0,
        "base_grand_total": 1218.0,
        "subtotal": 1237.14,
        "tax_amount": 61.86,
        "shipping_amount": 46.67,
        "discount_amount": -130.0,
        "created_at": "2026-11-21 03:30:00",
        "items": [
            {
                "entity_id": "{entity}01",
                "order_item_id": "{entity}01",
                "sku": "KURTA-COTTON-BLUE-M",
                "name": "Cotton Kurta Blue M",
                "qty": 1,
                "price": 1237.14,
                "price_incl_tax": 1299.0,
                "row_total": 1237.14,
                "row_total_incl_tax": 1299.0,
                "tax_amount": 61.86,
                "discount_amount": 130.0,
            }
        ],
        "comments": [],
    }
)


def _fill(expression: str) -> str:
    """A SQL expression filling the placeholders of a template column from order ``o``."""
    return (
        f"replace(replace(replace({expression}, '{{code}}', o.order_code), "
        f"'{{entity}}', o.entity_id::text), '{{awb}}', '1490' || lpad(o.id::text, 9, '0'))"
    )


def _values(rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """A VALUES list with placeholders, and its parameters."""
    width = len(rows[0])
    one = "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([one] * len(rows)), [value for row in rows for value in row]


def statements(
    api_key_id: int, template: str = "o.id", lean: bool = False
) -> list[tuple[str, list[Any]]]:
    """(SQL, parameters) per table for the orders of ids low..high (the last two parameters).

    Copied orders share their template's Magento JSON (``template``: SQL giving the template's
    id of order ``o``): the call record of the refresh takes the text of that JSON from
    ``bench_raw_body`` (made once per distinct JSON), already compressed, instead of converting
    and compressing it again for each copy. ``lean`` leaves out history rows, idempotency
    records and attempts (measured on a smaller set, for the bytes per order)."""
    calls, call_params = _values([c for c in CALLS])
    events, event_params = _values(EVENTS)
    operations, operation_params = _values(OPERATIONS)
    keys, key_params = _values(IDEMPOTENCY)
    at = "o.magento_created_at + make_interval(mins => c.minutes)"
    every = [
        (
            f"""INSERT INTO channel_callrecord (direction, system, method, path, status,
                duration_ms, request_body, response_body, error, created_at, api_key_id, order_id)
            SELECT c.direction, c.system, c.method, {_fill("c.path")}, c.status, c.ms,
                {_fill("c.request")},
                CASE WHEN c.response = '{{raw}}' THEN b.body ELSE {_fill("c.response")} END,
                '', {at}, CASE WHEN c.direction = 'in' THEN %s::bigint END, o.id
            FROM channel_order o
            JOIN bench_raw_body b ON b.order_id = {template}
            CROSS JOIN (VALUES {calls})
                AS c(direction, system, method, path, status, ms, request, response, minutes)
            WHERE o.id BETWEEN %s AND %s ORDER BY o.id, c.minutes""",
            [api_key_id, *call_params],
        ),
        (
            f"""INSERT INTO channel_auditevent (order_id, subject, action, actor, message, data,
                created_at)
            SELECT o.id, {_fill("c.subject")}, c.action, c.actor, {_fill("c.message")},
                jsonb_build_object('order_code', o.order_code, 'location', 'WH1'), {at}
            FROM channel_order o
            CROSS JOIN (VALUES {events}) AS c(action, actor, subject, message, minutes)
            WHERE o.id BETWEEN %s AND %s ORDER BY o.id, c.minutes""",
            event_params,
        ),
        (
            f"""INSERT INTO channel_operation (kind, order_id, target, payload, idempotency_key,
                state, error_class, attempts, next_attempt_at, claimed_by, last_error, result,
                created_at, updated_at, done_at)
            SELECT c.kind, o.id, CASE WHEN c.kind = 'omni.push_order' THEN ''
                    ELSE 'shipment:' || o.id END,
                jsonb_build_object('order_code', o.order_code), c.kind || ':' || o.order_code,
                'done', '', 1, {at}, '', '', {_fill("c.result")}::jsonb, {at},
                {at} + interval '1 second', {at} + interval '1 second'
            FROM channel_order o CROSS JOIN (VALUES {operations}) AS c(kind, minutes, result)
            WHERE o.id BETWEEN %s AND %s ORDER BY o.id, c.minutes""",
            operation_params,
        ),
        (
            """INSERT INTO channel_operationattempt (operation_id, number, worker, started_at,
                finished_at, outcome, error)
            SELECT p.id, 1, 'worker-4242', p.created_at, p.done_at, 'done', ''
            FROM channel_operation p WHERE p.order_id BETWEEN %s AND %s ORDER BY p.id""",
            [],
        ),
        (
            f"""INSERT INTO channel_idempotencyrecord (scope, key, request_hash, status_code,
                response_body, created_at, completed_at)
            SELECT c.scope, o.order_code || ':' || o.id, md5(c.scope || o.order_code)
                || md5(o.order_code), 200, '{{"hasError": false}}', {at},
                {at} + interval '1 second'
            FROM channel_order o CROSS JOIN (VALUES {keys}) AS c(scope, minutes)
            WHERE o.id BETWEEN %s AND %s ORDER BY o.id, c.minutes""",
            key_params,
        ),
        (
            f"""INSERT INTO channel_shipment (order_id, shipment_id, shipment_code, location_code,
                state, awb_number, transporter, awb_source, box_awbs, weight_grams, dimensions,
                package_sku, gate_pass_code, magento_shipment_id, magento_parts, handed_over_at,
                shipped_at, pack_request, label_from_magento, created_at, updated_at)
            SELECT o.id, o.id, o.order_code || '-1', 'WH1',
                CASE o.lifecycle WHEN 'fulfilled' THEN 'shipped' WHEN 'cancelled' THEN 'cancelled'
                    ELSE 'packed' END,
                '1490' || lpad(o.id::text, 9, '0'), 'Delhivery', 'series', '[]', 500,
                '{{"length": 20, "breadth": 15, "height": 10}}', 'BOX-S', '',
                CASE WHEN o.lifecycle = 'fulfilled' THEN o.entity_id END,
                CASE WHEN o.lifecycle = 'fulfilled' THEN jsonb_build_array(o.entity_id)
                    ELSE '[]' END,
                o.magento_created_at + interval '10 hours',
                CASE WHEN o.lifecycle = 'fulfilled'
                    THEN o.magento_created_at + interval '601 minutes' END,
                {_fill("%s")}::jsonb, false, o.magento_created_at + interval '1 hour',
                o.magento_created_at + interval '601 minutes'
            FROM channel_order o WHERE o.id BETWEEN %s AND %s ORDER BY o.id""",
            [PACK],
        ),
        (
            """INSERT INTO channel_shipmentline (shipment_id, order_line_id, quantity)
            SELECT s.id, l.id, l.qty_ordered
            FROM channel_shipment s JOIN channel_orderline l ON l.order_id = s.order_id
            WHERE s.order_id BETWEEN %s AND %s ORDER BY s.id, l.id""",
            [],
        ),
        (
            f"""INSERT INTO channel_invoice (order_id, shipment_id, state, magento_invoice_id,
                magento_parts, adopted, invoice_number, invoice_date, capture, lines, grand_total,
                tax_total, raw, last_error, created_at, updated_at)
            SELECT o.id, s.id, 'created', o.entity_id, jsonb_build_array(o.entity_id), false,
                'INV' || o.entity_id,
                s.created_at + interval '1 minute', false,
                ({_fill("%s")}::jsonb) -> 'invoiceDetails', o.grand_total,
                round(o.grand_total * 0.05, 2), {_fill("%s")}::jsonb, '',
                s.created_at + interval '1 minute', s.created_at + interval '1 minute'
            FROM channel_shipment s JOIN channel_order o ON o.id = s.order_id
            WHERE s.order_id BETWEEN %s AND %s ORDER BY s.id""",
            [INVOICE_ANSWER, MAGENTO_INVOICE],
        ),
        (
            """INSERT INTO channel_manifest (manifest_id, manifest_code, transporter, location_code,
                request, created_at)
            SELECT DISTINCT (s.handed_over_at::date - date '2000-01-01'),
                'MF-WH1-' || to_char(s.handed_over_at, 'YYYYMMDD') || '-0001', 'Delhivery', 'WH1',
                '{"transporter": "Delhivery", "locationCode": "WH1"}'::jsonb,
                date_trunc('day', s.handed_over_at) + interval '18 hours'
            FROM channel_shipment s WHERE s.order_id BETWEEN %s AND %s
            ON CONFLICT (manifest_code) DO NOTHING""",
            [],
        ),
        (
            """INSERT INTO channel_manifestitem (manifest_id, shipment_id, position, box_awbs)
            SELECT m.id, s.id, 0, '[]'
            FROM channel_shipment s JOIN channel_manifest m ON m.manifest_code =
                'MF-WH1-' || to_char(s.handed_over_at, 'YYYYMMDD') || '-0001'
            WHERE s.order_id BETWEEN %s AND %s ORDER BY s.id""",
            [],
        ),
        (
            """INSERT INTO channel_historicalorder (id, entity_id, increment_id, order_code,
                store_id, magento_state, magento_status, magento_created_at, magento_updated_at,
                customer_email, customer_name, is_guest, payment_method, currency, grand_total,
                shipping_incl_tax, shipping_address, billing_address, location_code, lifecycle,
                acknowledged_at, pushed_to_omni_at, not_sent_reason, data_errors, notes,
                created_at, history_date, history_change_reason, history_type, history_user_id)
            SELECT o.id, o.entity_id, o.increment_id, o.order_code, o.store_id, o.magento_state,
                o.magento_status, o.magento_created_at, o.magento_updated_at, o.customer_email,
                o.customer_name, o.is_guest, o.payment_method, o.currency, o.grand_total,
                o.shipping_incl_tax, o.shipping_address, o.billing_address, o.location_code,
                o.lifecycle, o.acknowledged_at, o.pushed_to_omni_at, o.not_sent_reason,
                o.data_errors, o.notes, o.created_at,
                o.magento_created_at + make_interval(mins => h.minutes), NULL, h.kind, NULL
            FROM channel_order o CROSS JOIN (VALUES ('+', 0), ('~', 5)) AS h(kind, minutes)
            WHERE o.id BETWEEN %s AND %s ORDER BY o.id, h.minutes""",
            [],
        ),
        (
            """INSERT INTO channel_historicalshipment (id, order_id, shipment_id, shipment_code,
                location_code, state, awb_number, transporter, awb_source, box_awbs, weight_grams,
                dimensions, package_sku, gate_pass_code, magento_shipment_id, magento_parts,
                handed_over_at, shipped_at, pack_request, label_from_magento, created_at,
                history_date, history_change_reason, history_type, history_user_id)
            SELECT s.id, s.order_id, s.shipment_id, s.shipment_code, s.location_code, s.state,
                s.awb_number, s.transporter, s.awb_source, s.box_awbs, s.weight_grams,
                s.dimensions, s.package_sku, s.gate_pass_code, s.magento_shipment_id,
                s.magento_parts, s.handed_over_at, s.shipped_at, s.pack_request,
                s.label_from_magento, s.created_at,
                s.created_at + make_interval(mins => h.minutes), NULL, h.kind, NULL
            FROM channel_shipment s CROSS JOIN (VALUES ('+', 0), ('~', 540)) AS h(kind, minutes)
            WHERE s.order_id BETWEEN %s AND %s ORDER BY s.id, h.minutes""",
            [],
        ),
        (
            """INSERT INTO channel_historicalinvoice (id, order_id, shipment_id, state,
                magento_invoice_id, magento_parts, adopted, invoice_number, invoice_date, capture,
                lines, grand_total, tax_total, last_error, created_at, history_date,
                history_change_reason, history_type, history_user_id)
            SELECT i.id, i.order_id, i.shipment_id, i.state, i.magento_invoice_id,
                i.magento_parts, i.adopted,
                i.invoice_number, i.invoice_date, i.capture, i.lines, i.grand_total, i.tax_total,
                i.last_error, i.created_at, i.created_at, NULL, '+', NULL
            FROM channel_invoice i WHERE i.order_id BETWEEN %s AND %s ORDER BY i.id""",
            [],
        ),
        (
            """INSERT INTO returns_returnorder (return_order_code, order_id, shipment_id,
                order_type, location_code, awb_number, transporter, return_order_time, state,
                last_error, request_hash, created_by, created_at, updated_at, sent_at)
            SELECT 'R-' || o.order_code || '-1', o.id, s.id, 'CUSTOMER_RETURN', 'WH1',
                'RT' || lpad(o.id::text, 10, '0'), 'Delhivery',
                o.magento_created_at + interval '5 days', 'qc_passed', '', md5(o.order_code),
                'omni', o.magento_created_at + interval '5 days',
                o.magento_created_at + interval '8 days', o.magento_created_at + interval '5 days'
            FROM channel_order o JOIN channel_shipment s ON s.order_id = o.id
            WHERE o.id %% 33 = 0 AND o.id BETWEEN %s AND %s ORDER BY o.id""",
            [],
        ),
        (
            """INSERT INTO returns_returnitem (return_order_id, item_code, order_line_id,
                channel_sku_code, reason, position, qc_status, qc_reason, image_urls, qc_at,
                magento_creditmemo_id)
            SELECT r.id, r.return_order_code || '-1', l.id, l.sku, 'Size does not fit', 0, 'PASS',
                '', '[]', r.updated_at, r.order_id
            FROM returns_returnorder r JOIN LATERAL (
                SELECT id, sku FROM channel_orderline WHERE order_id = r.order_id
                ORDER BY position LIMIT 1) l ON true
            WHERE r.order_id BETWEEN %s AND %s ORDER BY r.id""",
            [],
        ),
    ]
    extras = ("historical", "idempotency", "operationattempt")
    return [s for s in every if not (lean and any(e in s[0].split()[2] for e in extras))]


RAW_BODIES = """
CREATE TABLE bench_raw_body AS
SELECT id AS order_id, raw::text AS body FROM channel_order o WHERE {template} = o.id;
ALTER TABLE bench_raw_body ADD PRIMARY KEY (order_id);
"""


@contextmanager
def without_indexes(tables: list[str]) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` for a bulk load and build them again after it
    (one sort per index instead of a random insert per row; what pg_restore does). Constraint
    indexes (primary keys, unique constraints) and indexes led by ``order_id`` (the load reads
    through them) stay."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename = ANY(%s)
              AND indexname NOT IN (SELECT conname FROM pg_constraint)
              AND indexdef NOT LIKE '%%USING btree (order_id%%'""",
            [tables],
        )
        dropped = cursor.fetchall()
        for name, _ in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with phase(f"index builds ({len(dropped)} indexes of {len(tables)} tables)"):
            parallel([_executor(definition) for _, definition in dropped])


def _executor(statement: str, params: Sequence[Any] = ()) -> Callable[[], None]:
    def execute() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(statement, params)

    return execute


def vacuum_analyze(tables: Sequence[str]) -> None:
    """What autovacuum does after a bulk load, two tables at a time."""
    with phase("VACUUM ANALYZE"):
        parallel([_executor(f'VACUUM ANALYZE "{table}"') for table in tables])


def tables_of(sql: list[tuple[str, list[Any]]]) -> list[str]:
    return [statement.split()[2] for statement, _ in sql]


def generate(started: float, *, template: str = "o.id", lean: bool = False) -> None:
    """Add the related rows of every order in the mirror, CHUNK orders per transaction, on
    two connections at once (``FIRST_STREAM``'s tables on one, the others on the other)."""
    from django.db import connection
    from django.db.models import Max

    from channel.models import ApiKeyScope, Order
    from channel.services.apikeys import api_key_create

    last = Order.objects.aggregate(last=Max("id"))["last"] or 0
    key, _ = api_key_create(name="omni (bench)", scope=ApiKeyScope.OMNI)
    sql = statements(key.pk, template, lean)
    with phase("Magento JSON as text for the refresh calls"), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_body")
        cursor.execute(RAW_BODIES.replace("{template}", template), [])
    spent = {table: 0.0 for table in tables_of(sql)}
    streams = [
        [s for s in sql if tables_of([s])[0] in FIRST_STREAM],
        [s for s in sql if tables_of([s])[0] not in FIRST_STREAM],
    ]
    with without_indexes(tables_of(sql)):
        with phase("related rows (inserts)"):
            parallel([_stream(part, last, spent, started) for part in streams if part])
    per_table = ", ".join(f"{t} {s:.0f}" for t, s in spent.items())
    print(f"  seconds per table (two connections at once): {per_table}")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_body")
    vacuum_analyze(tables_of(sql))


def _stream(
    sql: list[tuple[str, list[Any]]], last: int, spent: dict[str, float], started: float
) -> Callable[[], None]:
    """A job inserting the rows of ``sql``'s tables for every order, CHUNK orders a
    transaction."""

    def load() -> None:
        from django.db import connection, transaction

        tables = tables_of(sql)
        for low in range(1, last + 1, CHUNK):
            high = min(last, low + CHUNK - 1)
            with transaction.atomic(), connection.cursor() as cursor:
                for table, (statement, params) in zip(tables, sql, strict=True):
                    begun = time.monotonic()
                    cursor.execute(statement, [*params, low, high])
                    spent[table] += time.monotonic() - begun
                begun = time.monotonic()
            spent[f"commit ({tables[0]}…)"] = (
                spent.get(f"commit ({tables[0]}…)", 0.0) + time.monotonic() - begun
            )
            elapsed = time.monotonic() - started
            print(f"  {tables[0]}…: related rows of {high} orders ({elapsed:.0f} s)", flush=True)

    return load
