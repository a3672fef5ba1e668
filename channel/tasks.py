"""django-q2 tasks: thin wrappers that take ids and are safe to run twice."""

from __future__ import annotations

from channel import health, inventory, outbox, sync


def run_operation(operation_id: int) -> str | None:
    return outbox.run_operation(operation_id)


def sweep_outbox() -> int:
    health.beat()
    return outbox.run_due()


def sync_magento() -> str:
    return str(sync.sync_magento())


def reconcile_inventory() -> str:
    return str(inventory.stock_reconcile())
