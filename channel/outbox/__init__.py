"""The outbox: every side effect on Magento or Omni is an Operation row, run by workers.

An operation is written in the same transaction as the change that needs it (`enqueue`); a task is
queued on commit, and a schedule sweeps whatever is due, so a lost task or a killed worker only
delays work. Claims are conditional updates, so several workers on several machines never run the
same operation at once. Handlers are registered per kind; write handlers give a `read_back` that
looks at the remote system before a retry and reports the effect when it already happened.
"""

from channel.outbox.queue import cancel, enqueue, enqueue_new, replay, schedule_run, schedule_runs
from channel.outbox.registry import (
    Done,
    OperationError,
    Registration,
    Retry,
    register,
    registration,
)
from channel.outbox.runner import (
    backoff_seconds,
    claim,
    due_ids,
    forget_heartbeats,
    paused_flows,
    release_stale_claims,
    run_due,
    run_operation,
    run_operations,
    sweep,
    touch_flow,
    worker_id,
)

__all__ = [
    "Done",
    "OperationError",
    "Registration",
    "Retry",
    "backoff_seconds",
    "cancel",
    "claim",
    "due_ids",
    "enqueue",
    "enqueue_new",
    "forget_heartbeats",
    "paused_flows",
    "register",
    "registration",
    "release_stale_claims",
    "replay",
    "run_due",
    "run_operation",
    "run_operations",
    "schedule_run",
    "schedule_runs",
    "sweep",
    "touch_flow",
    "worker_id",
]
