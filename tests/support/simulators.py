"""Shared constants and query builders for the simulator tests."""

from __future__ import annotations

from collections.abc import Sequence

MAGENTO = "http://magento.test"
REST = f"{MAGENTO}/rest/default/V1"
OMNI = "http://omni.test"

Filter = tuple[str, str, str]


def search(
    filters: Sequence[Sequence[Filter]] = (),
    sorts: Sequence[tuple[str, str | None]] = (),
    page_size: int | None = None,
    current_page: int | None = None,
    camel: bool = False,
) -> dict[str, str]:
    """searchCriteria query parameters (snake_case keys unless ``camel``)."""
    groups, condition = (
        ("filterGroups", "conditionType") if camel else ("filter_groups", "condition_type")
    )
    params: dict[str, str] = {}
    for g, group in enumerate(filters):
        for f, (field, value, cond) in enumerate(group):
            key = f"searchCriteria[{groups}][{g}][filters][{f}]"
            params |= {f"{key}[field]": field, f"{key}[value]": value, f"{key}[{condition}]": cond}
    for s, (field, direction) in enumerate(sorts):
        params[f"searchCriteria[sortOrders][{s}][field]"] = field
        if direction:
            params[f"searchCriteria[sortOrders][{s}][direction]"] = direction
    if page_size is not None:
        params["searchCriteria[pageSize]"] = str(page_size)
    if current_page is not None:
        params["searchCriteria[currentPage]"] = str(current_page)
    return params or {"searchCriteria": ""}
