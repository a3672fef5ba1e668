"""What support does to the outbox: replay or cancel operations, pause or resume flows."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from channel import outbox
from channel.models import Flow, FlowState, Operation, OperationState
from channel.services import audit


def operations_replay(*, operations: Iterable[Operation]) -> int:
    """Make each failed or waiting operation due now; returns how many were (done and running
    ones are skipped)."""
    return sum(outbox.replay(operation) for operation in operations)


def operations_replay_failed(*, error_classes: set[str]) -> int:
    """Replay every failed operation of these error classes."""
    failed = Operation.objects.filter(state=OperationState.FAILED, error_class__in=error_classes)
    return operations_replay(operations=failed)


def operations_cancel(*, operations: Iterable[Operation]) -> int:
    """Cancel each failed or waiting operation (it will not run); returns how many were."""
    return sum(outbox.cancel(operation) for operation in operations)


def flows_ensure() -> None:
    """A FlowState row for every flow (so each can be paused before it ever ran)."""
    for flow in Flow:
        FlowState.objects.get_or_create(flow=flow.value)


def flows_pause(*, flows: QuerySet[FlowState], actor: str) -> str:
    """Pause the flows (their work is kept and waits); returns their names."""
    names = ", ".join(str(flow) for flow in flows)
    flows.update(paused=True, paused_by=actor)
    audit.record("flow.paused", actor=actor, message=names)
    return names


def flows_resume(*, flows: QuerySet[FlowState], actor: str) -> str:
    names = ", ".join(flow.get_flow_display() for flow in flows)
    flows.update(paused=False, paused_by="")
    audit.record("flow.resumed", actor=actor, message=names)
    return names
