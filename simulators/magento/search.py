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
    check_request(criteria, options)
    hits = filter_rows(rows, criteria.groups)
    if options.rng is not None:
        options.rng.shuffle(hits)
    sort_rows(hits, criteria.sorts)
    return _page(hits, criteria, options.last_page_repeat), len(hits)


def check_request(criteria: SearchCriteria, options: SearchOptions) -> None:
    _check_columns(criteria, options.columns)
    if options.input_limiting:
        if criteria.page_size is None:
            criteria.page_size = 20
        elif criteria.page_size > 300:
            raise MagentoError(400, MSG_PAGE_MAX, {"max": 300})


@dataclass
class Keyset:
    """A keyset page's cursor in a search: sorted by ``name`` then ``entity_id``, both
    ascending, with a group ``name >= since`` and maybe a group ``name > since OR entity_id >
    last_id`` (the ``consumed`` groups: an index in that order answers them by position)."""

    name: str
    since: str
    last_id: float | None
    consumed: frozenset[int]


def keyset_of(criteria: SearchCriteria, names: Iterable[str]) -> Keyset | None:
    """The keyset cursor of a search on one of ``names``, or None when it is not that shape."""
    if len(criteria.sorts) != 2 or criteria.sorts[1] != ("entity_id", "ASC"):
        return None
    name, direction = criteria.sorts[0]
    if direction != "ASC" or name not in names:
        return None
    since = next((g[0][1] for g in criteria.groups if g and g == [(name, g[0][1], "gteq")]), None)
    if since is None:
        return None
    consumed = {n for n, g in enumerate(criteria.groups) if g == [(name, since, "gteq")]}
    last_id = None
    for n, group in enumerate(criteria.groups):
        if len(group) == 2 and group[0] == (name, since, "gt"):
            field, raw, condition = group[1]
            value = _as_float(raw) if (field, condition) == ("entity_id", "gt") else None
            if value is not None and math.isfinite(value) and last_id in (None, value):
                last_id = value
                consumed.add(n)
    return Keyset(name, since, last_id, frozenset(consumed))


def keyset_page(
    matching: Sequence[Mapping[str, Any]],
    start: int,
    criteria: SearchCriteria,
    options: SearchOptions,
) -> tuple[list[Mapping[str, Any]], int]:
    """``run_search``'s answer from an index: ``matching`` holds every row the criteria match,
    in the search's order, from ``start`` on (the rows past the keyset cursor)."""
    if options.rng is not None:
        raise ValueError("a shuffled search has no index order")
    check_request(criteria, options)
    total = len(matching) - start
    low, high = page_bounds(total, criteria, options.last_page_repeat)
    return list(matching[start + low : start + min(high, total)]), total


def filter_rows(
    rows: Iterable[Mapping[str, Any]], groups: Sequence[Sequence[tuple[str, str, str]]]
) -> list[Mapping[str, Any]]:
    """The rows matching every non-empty group (a group: any of its filters), in their order."""
    tests = [[compile_filter(*f) for f in g] for g in groups if g]
    if not tests:
        return list(rows)
    if all(len(g) == 1 for g in tests):
        singles = [g[0] for g in tests]
        return [row for row in rows if all(test(row) for test in singles)]
    return [row for row in rows if all(any(test(row) for test in g) for g in tests)]


def sort_rows(hits: list[Mapping[str, Any]], sorts: Sequence[tuple[str, str | None]]) -> None:
    """Sort in place by each sort order (the first wins), stable: the successive stable sorts of
    the last order to the first, done as one sort per run of sort orders of the same direction."""
    runs: list[tuple[bool, list[str]]] = []
    for name, direction in sorts:
        reverse = direction != "ASC"
        if runs and runs[-1][0] == reverse:
            runs[-1][1].append(name)
        else:
            runs.append((reverse, [name]))
    for reverse, names in reversed(runs):
        if len(names) == 1:
            hits.sort(key=lambda r, n=names[0]: _sort_key(r.get(n)), reverse=reverse)
        else:
            hits.sort(
                key=lambda r, ns=names: tuple(_sort_key(r.get(n)) for n in ns), reverse=reverse
            )


def match_keys(criteria: SearchCriteria, name: str) -> set[str] | None:
    """The lower-cased values a text column ``name`` must equal for a row to match: from the
    first group made only of ``eq``/``in`` filters on it (None when there is none). Every row
    whose ``name`` is a string matching the criteria has one of these keys, so an index by key
    gives a superset of the hits (the criteria still filter it)."""
    for group in criteria.groups:
        if not group or any(f != name or c not in ("eq", "in") for f, _, c in group):
            continue
        keys: set[str] = set()
        for _, raw, condition in group:
            values = raw.split(",") if condition == "in" else [raw]
            keys.update((v.strip() if condition == "in" else v).casefold() for v in values)
        return keys
    return None


def _as_float(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def compile_filter(name: str, raw: str, condition: str) -> Any:
    """A test of one row, the same as ``_condition(row.get(name), raw, condition)`` with the
    filter's own parsing (its value as a number, lower-cased, split, a LIKE pattern) done once."""
    if condition in ("null", "notnull"):
        want_null = condition == "null"
        return lambda row: (row.get(name) is None) == want_null
    if condition in ("like", "nlike", "finset", "nfinset"):
        return _compile_text(name, raw, condition)
    if condition in ("in", "nin"):
        return _compile_in(name, raw, condition == "in")
    compare = _COMPARE.get(condition, _COMPARE["eq"])
    number, folded = _as_float(raw), raw.casefold()

    def test(row: Mapping[str, Any]) -> bool:
        column = _column(row, name)
        if column is None:
            return False
        if isinstance(column, int | float):
            if number is None:
                return bool(compare(str(column), raw))
            return bool(compare(float(column), number))
        return bool(compare(str(column).casefold(), folded))

    return test


def _column(row: Mapping[str, Any], name: str) -> Any:
    """The row's value of a column as the comparisons see it (a boolean is a number)."""
    column = row.get(name)
    return int(column) if isinstance(column, bool) else column


def _compile_text(name: str, raw: str, condition: str) -> Any:
    negate = condition.startswith("n")
    if condition.endswith("like"):
        pattern = _like(raw)

        def like(row: Mapping[str, Any]) -> bool:
            column = row.get(name)
            if column is None:
                return False
            return (pattern.fullmatch(str(column)) is None) == negate

        return like

    def finset(row: Mapping[str, Any]) -> bool:
        column = row.get(name)
        if column is None:
            return False
        return (raw in str(column).split(",")) != negate

    return finset


def _compile_in(name: str, raw: str, wanted: bool) -> Any:
    values = [v.strip() for v in raw.split(",")]
    folded = {v.casefold() for v in values}
    numbers = [(_as_float(v), v) for v in values]

    def in_list(row: Mapping[str, Any]) -> bool:
        column = _column(row, name)
        if column is None:
            return False
        if isinstance(column, int | float):
            value = float(column)
            hit = any(value == n if n is not None else str(column) == v for n, v in numbers)
        else:
            hit = str(column).casefold() in folded
        return hit == wanted

    return in_list


def page_bounds(total: int, criteria: SearchCriteria, last_page_repeat: bool) -> tuple[int, int]:
    """The slice of ``total`` hits the criteria's page is (past the end: Magento repeats the
    last page when ``last_page_repeat``)."""
    size = criteria.page_size
    if not size or size < 1:
        return 0, total
    page = max(1, criteria.current_page or 1)
    if last_page_repeat and total:
        page = min(page, math.ceil(total / size))
    return (page - 1) * size, page * size


def _page(
    hits: list[Mapping[str, Any]], criteria: SearchCriteria, last_page_repeat: bool
) -> list[Mapping[str, Any]]:
    low, high = page_bounds(len(hits), criteria, last_page_repeat)
    return hits[low:high]


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
        criteria: SearchCriteria | None = None,
    ) -> SimResponse:
        criteria = criteria or self._criteria(req)
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
