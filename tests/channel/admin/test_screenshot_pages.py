"""Every page docs/take_screenshots.mjs photographs answers 200 for every role (superuser, support,
auditor), list and first row, on data like the demo's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from channel.models import ErrorClass, Operation, OperationState, Order, OrderLifecycle
from returns.models import ReturnOrder, ReturnState
from tests.support.shipping import make_shipment, mirror_order

PAGES = json.loads((Path(__file__).resolve().parents[3] / "docs/screenshot_pages.json").read_text())
FIRST_ROW = re.compile(r'<th class="field-[^"]+"><a href="([^"]+)"')


@pytest.fixture
def demo_like(db: None) -> None:
    order = mirror_order(100)
    Order.objects.filter(pk=order.pk).update(lifecycle=OrderLifecycle.FULFILLED)
    make_shipment(order)
    Operation.objects.create(
        kind="omni.create_return",
        order=order,
        target="return:R-100-1",
        idempotency_key="r-100-1",
        state=OperationState.FAILED,
        error_class=ErrorClass.PERMANENT,
        last_error="Input validation failed: [awbNumber: may not be null]",
    )
    ReturnOrder.objects.create(
        return_order_code="R-100-1",
        order=order,
        order_type="CUSTOMER_RETURN",
        location_code="WH1",
        created_by="omni",
        state=ReturnState.FAILED,
    )


@pytest.mark.parametrize("role", ["superuser", "support", "auditor"])
@pytest.mark.parametrize("shot", PAGES["pages"], ids=lambda shot: shot["name"])
def test_each_screenshot_page_answers_for_each_role(
    request: pytest.FixtureRequest, demo_like: None, role: str, shot: dict
) -> None:
    client: Client = request.getfixturevalue(role)
    response = client.get(shot["path"])
    assert response.status_code == 200
    if shot.get("open_first"):
        first = FIRST_ROW.search(response.content.decode())
        assert first, f"{shot['path']} lists nothing to open"
        assert client.get(first.group(1).replace("&amp;", "&")).status_code == 200
