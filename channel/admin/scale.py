"""Admin lists that stay fast with millions of rows (orders, call records, audit events, ...).

- ``EstimatedCountPaginator``: counts exactly up to ``ADMIN_EXACT_COUNT_LIMIT`` rows; past it,
  PostgreSQL's own estimate (``pg_class.reltuples`` for a whole table, the planner's row estimate
  for a filtered list), shown as "about N" on the page. A ``COUNT(*)`` of ten million call
  records reads all of them.
- ``RecentValuesFilter``: a filter offering the values of the newest rows, instead of a
  ``SELECT DISTINCT`` over the whole table on every page.
- ``IndexedSearchMixin``: ``search_fields`` of exact (``=``) or prefix (``^``) lookups, each
  looked up on its own, so that every lookup uses its index: Django's single query ORs them across
  joined tables, which PostgreSQL can only answer by scanning and joining everything. The whole
  search box is one term (support pastes one code, one e-mail, one phone number).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import BinaryField, F, JSONField, Model, Q, QuerySet, TextField
from django.http import HttpRequest
from django.utils.functional import cached_property

RECENT_ROWS = 5000  # the rows RecentValuesFilter takes its values from
BIGINT_MAX = 2**63 - 1


class EstimatedCountPaginator(Paginator):
    """Exact counts while they are cheap, PostgreSQL's estimate past them."""

    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        limit = settings.ADMIN_EXACT_COUNT_LIMIT
        postgresql = _is_postgresql(queryset)
        whole_table = not queryset.query.where
        if whole_table and postgresql:
            estimate = _table_estimate(queryset)
            if estimate > limit:  # a big table: no need to count the first rows
                self.count_is_estimate = True
                return estimate
        # In the list's order (newest first): the first rows found are the page's, and a filter on
        # recent rows (the last 7 days) does not read the whole table from its oldest row.
        exact = queryset[: limit + 1].count()
        if exact <= limit:
            return exact
        self.count_is_estimate = True
        if not postgresql:
            return limit + 1  # SQLite has no estimate: "more than N"
        estimate = _table_estimate(queryset) if whole_table else _plan_estimate(queryset)
        return max(estimate, limit + 1)


def _is_postgresql(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def _table_estimate(queryset: QuerySet) -> int:
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] and row[0] > 0 else 0


def _plan_estimate(queryset: QuerySet) -> int:
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class ScaleAdminMixin:
    """Estimated counts past the limit, no second (unfiltered) count, pages of 50 rows, and
    lists that do not load what they do not show (JSON and long text columns, the listed row's
    and its ``list_select_related`` rows': Magento's order JSON is ~10 kB to decode per row)."""

    paginator: Any = EstimatedCountPaginator
    show_full_result_count: Any = False
    list_per_page: Any = 50
    list_keep: ClassVar[tuple[str, ...]] = ()  # long text columns a list_display method reads

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return LeanChangeList


class LeanChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        queryset = super().get_queryset(request, exclude_parameters)
        admin_ = self.model_admin
        shown = {name for name in self.list_display if isinstance(name, str)}
        shown |= set(getattr(admin_, "list_keep", ()))
        heavy = _heavy(self.model, "", shown)
        related = self.list_select_related
        for path in related if isinstance(related, (list, tuple)) else ():
            heavy += _heavy(_related_model(self.model, path), f"{path}__", set())
        return queryset.defer(*heavy) if heavy else queryset


def _heavy(model: type[Model], prefix: str, shown: set[str]) -> list[str]:
    """JSON, binary and long text columns of ``model`` not shown in the list."""
    kinds = (JSONField, TextField, BinaryField)
    return [
        f"{prefix}{field.name}"
        for field in model._meta.concrete_fields
        if isinstance(field, kinds) and field.name not in shown
    ]


def _related_model(model: type[Model], path: str) -> type[Model]:
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model  # type: ignore[assignment]
    return model


class RecentValuesFilter(admin.AllValuesFieldListFilter):
    """The values found in the newest RECENT_ROWS rows (and the one selected)."""

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: dict[str, Any],
        model: type[Model],
        model_admin: Any,
        field_path: str,
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        values = set(_recent_values(request, model, model_admin)[field_path])
        selected: list[Any] = list(self.lookup_val or [])
        values.update(_typed(field, value) for value in selected)
        self.lookup_choices = sorted(values, key=lambda v: (v is None, str(v)))  # type: ignore[assignment]


def _recent_values(request: HttpRequest, model: type[Model], model_admin: Any) -> dict[str, list]:
    """The values of every RecentValuesFilter column of the list, in one query per request."""
    memo: dict[str, dict[str, list]] = request.__dict__.setdefault("_recent_values", {})
    label = model._meta.label
    if label not in memo:
        paths = [
            spec[0]
            for spec in model_admin.list_filter
            if isinstance(spec, tuple) and spec[1] is RecentValuesFilter
        ]
        rows = list(model._default_manager.order_by("-pk").values_list(*paths)[:RECENT_ROWS])
        memo[label] = {path: [row[n] for row in rows] for n, path in enumerate(paths)}
    return memo[label]


def _typed(field: Any, value: Any) -> Any:
    try:
        return field.to_python(value)
    except ValidationError:
        return value


Condition = tuple[str, Any] | Q  # (lookup, value), or a condition on the model's own columns


class IndexedSearchMixin:
    """Search ``search_fields`` one lookup at a time (see the module's docstring).

    A lookup on the model's own column stays in the list's query (``WHERE a = t OR b = t``: a
    bitmap OR of their indexes); a lookup through a relation is run on its own first and gives
    at most ``ADMIN_SEARCH_MATCH_LIMIT`` ids, newest first."""

    def search_conditions(self, term: str) -> list[Condition]:
        """What to look ``term`` up as; a subclass may recognise the term's shape."""
        conditions: list[Condition] = []
        model = self.model  # type: ignore[attr-defined]
        for spec in self.search_fields:  # type: ignore[attr-defined]
            lookup = _lookup(spec)
            value = _value_for(model, lookup, term)
            if value is not None:
                conditions.append((lookup, value))
        return conditions

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = indexed_match(queryset.model, self.search_conditions(term))
        return queryset.filter(match), False


def indexed_match(model: type[Model], conditions: list[Condition]) -> Q:
    """One Q matching any of ``conditions``; lookups through relations are resolved to ids first."""
    own, members = Q(pk__in=[]), []
    limit = settings.ADMIN_SEARCH_MATCH_LIMIT
    for condition in conditions:
        if isinstance(condition, Q):
            own |= condition
            continue
        lookup, value = condition
        if "__" not in lookup.rsplit("__", 1)[0]:
            own |= Q((lookup, value))
            continue
        members.append(_through(model, lookup, value))
    through: set[Any] = set()
    if connections[model._default_manager.db].features.supports_slicing_ordering_in_compound:
        # Each member newest first and cut (PostgreSQL): a SKU in 200,000 orders is then the
        # first 1,000 entries of an index, not a sort of 200,000 ids.
        members = [member.order_by("-match_id")[:limit] for member in members]
    if len(members) == 1:
        only = members[0]
        through.update(only if only.query.is_sliced else only.order_by("-match_id")[:limit])
    elif members:  # one query: UNION ALL of the lookups through relations
        union = members[0].union(*members[1:], all=True)
        through.update(union.order_by("-match_id")[:limit])
    if not through:
        return own
    # Ids only, and their range: with `a = t OR id IN (…)`, or a long id list alone, PostgreSQL
    # walks the primary key from the newest row testing each one against the list, which for a
    # manifest of a year ago means every newer row.
    newest = model._default_manager.filter(own).order_by("-pk").values_list("pk", flat=True)
    ids = sorted(through.union(newest[:limit]))
    return Q(pk__in=ids, pk__gte=ids[0], pk__lte=ids[-1])


def _through(model: type[Model], lookup: str, value: Any) -> QuerySet:
    """The ids of ``model`` rows matching ``lookup`` through a relation. Through a reverse
    foreign key (an order's lines, shipments, returns) the related table's own column is read
    (``SELECT order_id FROM channel_orderline WHERE sku = …``): no join with the big table."""
    first, rest = lookup.split("__", 1)
    field = model._meta.get_field(first)
    related_model: Any = field.related_model
    if field.one_to_many and related_model is not None:
        related = related_model._default_manager.filter(**{rest: value})
        column = field.field.attname  # type: ignore[union-attr]
    else:
        related, column = model._default_manager.filter(**{lookup: value}), "pk"
    # One name for every member of the UNION, to sort it by.
    return related.order_by().annotate(match_id=F(column)).values_list("match_id", flat=True)


def _lookup(spec: str) -> str:
    if spec.startswith("="):
        return f"{spec[1:]}__exact"
    if spec.startswith("^"):
        return f"{spec[1:]}__startswith"
    return f"{spec.lstrip('@')}__icontains"


def _value_for(model: type[Model], lookup: str, term: str) -> Any:
    """``term`` as the value of ``lookup``'s field, or None when it cannot be one (a word for a
    number): that lookup is then not run at all."""
    path = lookup.rsplit("__", 1)[0]
    field = _field(model, path)
    if field is None:
        return term
    try:
        value = field.to_python(term)
    except (ValidationError, TypeError, ValueError):
        return None
    if isinstance(value, int) and not -BIGINT_MAX <= value <= BIGINT_MAX:
        return None
    return value


def _field(model: type[Model], path: str) -> Any:
    field: Any = None
    current = model
    for name in path.split("__"):
        try:
            field = current._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if field.is_relation and field.related_model is not None:
            current = field.related_model
    if field is not None and field.is_relation:
        return field.target_field if hasattr(field, "target_field") else None
    return field
