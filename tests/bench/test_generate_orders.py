"""The benchmark generator's age groups, its copies' templates, and its orders from the fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from bench.generate_orders import Pool, generate, pools, template_sql


def template(pool: Pool, position: int) -> int:
    """The SQL of ``Pool.template_of`` evaluated (same result with C's and Python's modulo)."""
    return int(eval(pool.template_of(str(position)).replace("%%", "%")))


def test_a_million_orders_are_three_age_groups_with_their_templates() -> None:
    found = pools(1_000_000, 1500, 2000, 500)
    assert found == [
        Pool(0, 985_000, 0, 2000),  # older than 10 days: the oldest are the templates
        Pool(985_000, 997_000, 996_500, 500),  # 10 to 2 days: the newest
        Pool(997_000, 1_000_000, 999_500, 500),  # under 2 days
    ]
    assert sum(p.templates for p in found) == 3000
    assert pools(1_000_000, 1500, 2000, None)[1] == Pool(985_000, 997_000, 985_000, 12_000)
    ten_thousand = [Pool(0, 7000, 6500, 500), Pool(7000, 10_000, 9500, 500)]
    assert pools(10_000, 1500, 2000, 500) == ten_thousand


def test_a_copy_is_made_from_a_template_of_its_own_group_whole_cycles_away() -> None:
    old, recent, new = pools(1_000_000, 1500, 2000, 500)
    assert old.copies == [range(2000, 985_000)] and new.copies == [range(997_000, 999_500)]
    for pool in (old, recent, new):
        for part in pool.copies:
            for n in (part.start, part.start + 1, part.stop - 1):
                made = template(pool, n)
                assert pool.template_start <= made < pool.template_start + pool.templates
                assert (n - made) % pool.templates == 0
    sql = template_sql([old, recent, new], "o.id")
    assert sql.startswith("CASE WHEN o.id BETWEEN 1 AND 985000 THEN") and "ELSE o.id END" in sql
    assert template_sql([Pool(0, 10, 0, 10)], "o.id") == "o.id"  # no copies


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="on PostgreSQL most orders are copies made in SQL"
)
def test_the_fake_makes_every_order_on_sqlite_shipping_what_it_sold() -> None:
    from channel.models import Order

    found = generate(300, per_day=30, end=datetime(2026, 12, 1, tzinfo=UTC))
    assert found == [Pool(0, 300, 0, 300)]
    orders = Order.objects.order_by("id")
    assert list(orders.values_list("id", flat=True)) == list(range(1, 301))
    assert [o.entity_id for o in orders] == list(range(1, 301))
    assert orders.filter(magento_state="complete").count() > 150  # shipped, restocked as needed
    assert orders.filter(lines__isnull=False).distinct().count() > 250
    first = orders[0]
    assert first.created_at == first.magento_created_at + timedelta(minutes=1)
