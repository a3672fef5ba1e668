"""searchCriteria (filter groups, sort orders, paging) and ``fields=`` partial responses."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulators.base import RecordedRequest, SimResponse
from simulators.magento.common import (
    MSG_PAGE_MAX,
    MagentoError,
    _internal_error,
    _required,
    parse_int,
)

# -- searchCriteria ------------------------------------------------------------------------------


_BRACKET = re.compile(r"\[([^\]]*)\]")
_SC_ALIASES = {
    "filterGroups": "filter_groups",
    "conditionType": "condition_type",
    "sortOrders": "sort_orders",
    "pageSize": "page_size",
    "currentPage": "current_page",
}


@dataclass
class SearchCriteria:
    groups: list[list[tuple[str, str, str]]] = field(default_factory=list)
    sorts: list[tuple[str, str | None]] = field(default_factory=list)
    page_size: int | None = None
    current_page: int | None = None
    sent_sorts: bool = False

    def echo(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "filter_groups": [
                {"filters": [{"field": f, "value": v, "condition_type": c} for f, v, c in g]}
                for g in self.groups
            ]
        }
        if self.sent_sorts:
            out["sort_orders"] = [
                {"field": f, "direction": d} if d else {"field": f} for f, d in self.sorts
            ]
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.current_page is not None:
            out["current_page"] = self.current_page
        return out


def _sc_tree(pairs: Iterable[tuple[str, str]]) -> dict[str, Any] | None:
    tree: dict[str, Any] = {}
    found = False
    for key, value in pairs:
        if key != "searchCriteria" and not key.startswith("searchCriteria["):
            continue
        found = True
        parts = [_SC_ALIASES.get(p, p) for p in _BRACKET.findall(key[len("searchCriteria") :])]
        node: Any = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        if parts and isinstance(node, dict):
            node[parts[-1]] = value
    return tree if found else None


def _indexed(node: Any) -> list[Any]:
    if not isinstance(node, dict):
        return []
    keys = sorted(node, key=lambda k: (0, int(k)) if k.isdigit() else (1, k))
    return [node[k] for k in keys]


def parse_search_criteria(pairs: Iterable[tuple[str, str]]) -> SearchCriteria | None:
    """Parse bracketed ``searchCriteria[...]`` query keys (snake_case or camelCase)."""
    tree = _sc_tree(pairs)
    if tree is None:
        return None
    criteria = SearchCriteria()
    for group in _indexed(tree.get("filter_groups")):
        filters = [
            (str(f["field"]), str(f.get("value", "")), str(f.get("condition_type") or "eq"))
            for f in _indexed(group.get("filters") if isinstance(group, dict) else None)
            if isinstance(f, dict) and f.get("field")
        ]
        criteria.groups.append(filters)
    criteria.sent_sorts = "sort_orders" in tree
    for sort in _indexed(tree.get("sort_orders")):
        if isinstance(sort, dict) and sort.get("field"):
            direction = sort.get("direction")
            criteria.sorts.append(
                (str(sort["field"]), str(direction).upper() if direction else None)
            )
    if tree.get("page_size") not in (None, ""):
        criteria.page_size = parse_int(tree["page_size"])
    if tree.get("current_page") not in (None, ""):
        criteria.current_page = parse_int(tree["current_page"])
    return criteria


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _comparable(column: Any, raw: str) -> tuple[Any, Any]:
    if isinstance(column, bool):
        column = int(column)
    if isinstance(column, int | float):
        try:
            return float(column), float(raw)
        except ValueError:
            return str(column), raw
    return str(column).casefold(), raw.casefold()


def _in_list(column: Any, raw: str) -> bool:
    return any(
        _comparable(column, v.strip())[0] == _comparable(column, v.strip())[1]
        for v in raw.split(",")
    )


def _condition(column: Any, raw: str, condition: str) -> bool:
    """SQL semantics, including NULL never matching anything but ``null``."""
    if condition == "null":
        return column is None
    if condition == "notnull":
        return column is not None
    if column is None:
        return False
    if condition in ("like", "nlike"):
        hit = _like(raw).fullmatch(str(column)) is not None
        return hit if condition == "like" else not hit
    if condition in ("in", "nin"):
        hit = _in_list(column, raw)
        return hit if condition == "in" else not hit
    if condition in ("finset", "nfinset"):
        hit = raw in str(column).split(",")
        return hit if condition == "finset" else not hit
    left, right = _comparable(column, raw)
    try:
        return _COMPARE.get(condition, _COMPARE["eq"])(left, right)
    except TypeError:
        return False


_COMPARE = {
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gteq": lambda a, b: a >= b,
    "moreq": lambda a, b: a >= b,
    "from": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lteq": lambda a, b: a <= b,
    "to": lambda a, b: a <= b,
}


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, float(value))
    return (2, str(value).casefold())


def _check_columns(criteria: SearchCriteria, columns: frozenset[str] | set[str] | None) -> None:
    if columns is None:
        return
    used = [f for g in criteria.groups for f, _, _ in g] + [f for f, _ in criteria.sorts]
    if any(name not in columns for name in used):
        raise _internal_error()  # Magento: SQL error "Unknown column" -> masked 500


@dataclass
class SearchOptions:
    input_limiting: bool = False
    last_page_repeat: bool = False
    rng: random.Random | None = None
    columns: frozenset[str] | set[str] | None = None


def run_search(
    rows: Sequence[Mapping[str, Any]], criteria: SearchCriteria, options: SearchOptions
) -> tuple[list[Mapping[str, Any]], int]:
    """Filter (OR within a group, AND across groups), sort, page. Returns (page, total)."""
    _check_columns(criteria, options.columns)
    if options.input_limiting:
        if criteria.page_size is None:
            criteria.page_size = 20
        elif criteria.page_size > 300:
            raise MagentoError(400, MSG_PAGE_MAX, {"max": 300})
    hits = [
        row
        for row in rows
        if all(any(_condition(row.get(f), v, c) for f, v, c in g) for g in criteria.groups if g)
    ]
    if options.rng is not None:
        options.rng.shuffle(hits)
    for name, direction in reversed(criteria.sorts):
        hits.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=direction != "ASC")
    return _page(hits, criteria, options.last_page_repeat), len(hits)


def _page(
    hits: list[Mapping[str, Any]], criteria: SearchCriteria, last_page_repeat: bool
) -> list[Mapping[str, Any]]:
    size = criteria.page_size
    if not size or size < 1:
        return hits
    page = max(1, criteria.current_page or 1)
    if last_page_repeat and hits:
        page = min(page, math.ceil(len(hits) / size))
    return hits[(page - 1) * size : page * size]


# -- fields= partial responses -------------------------------------------------------------------


def parse_fields(spec: str) -> dict[str, Any]:
    """``items[entity_id,increment_id],total_count`` -> nested dict of wanted keys."""
    tree: dict[str, Any] = {}
    stack = [tree]
    name = ""
    for char in spec + ",":
        if char in ",[]":
            if name.strip():
                stack[-1][name.strip()] = {}
            if char == "[":
                stack.append(stack[-1][name.strip()])
            elif char == "]" and len(stack) > 1:
                stack.pop()
            name = ""
        else:
            name += char
    return tree


def apply_fields(data: Any, wanted: Mapping[str, Any]) -> Any:
    if not wanted:
        return data
    if isinstance(data, list):
        return [apply_fields(item, wanted) for item in data]
    if isinstance(data, dict):
        return {k: apply_fields(data[k], sub) for k, sub in wanted.items() if k in data}
    return data


class SearchMixin:
    """MagentoSimulator's searchCriteria and ``fields=`` request helpers."""

    # -- request helpers -----------------------------------------------------------------------

    def _criteria(self, req: RecordedRequest) -> SearchCriteria:
        criteria = parse_search_criteria(req.query_pairs())
        if criteria is None:
            raise _required("searchCriteria")
        return criteria

    def _options(self, columns: frozenset[str] | set[str] | None = None) -> SearchOptions:
        return SearchOptions(
            input_limiting=self.input_limiting,
            last_page_repeat=self.paging_last_page_repeat,
            rng=self._rng if self.shuffle_ties else None,
            columns=columns,
        )

    def _search_response(
        self,
        req: RecordedRequest,
        rows: Sequence[Mapping[str, Any]],
        render: Any,
        columns: frozenset[str] | set[str] | None = None,
    ) -> SimResponse:
        criteria = self._criteria(req)
        page, total = run_search(rows, criteria, self._options(columns))
        body = {
            "items": [render(row) for row in page],
            "search_criteria": criteria.echo(),
            "total_count": total,
        }
        return self._ok(req, body)

    def _ok(self, req: RecordedRequest, body: Any) -> SimResponse:
        fields = req.query.get("fields")
        if fields and isinstance(body, dict | list):
            body = apply_fields(body, parse_fields(fields))
        return SimResponse(200, body)
