"""The mirror of Magento orders, the outbox, and the records that make every action auditable.

One module per area; every model is importable from channel.models."""

from channel.models.fulfilment import (
    AwbSource,
    Document,
    DocumentKind,
    Invoice,
    InvoiceState,
    Shipment,
    ShipmentLine,
    ShipmentState,
)
from channel.models.intake import BackfillRun, BackfillState, GoLive
from channel.models.inventory import StockLevel, StockSource, StockState
from channel.models.orders import MONEY, NotSentReason, Order, OrderLifecycle, OrderLine
from channel.models.outbox import (
    ErrorClass,
    Flow,
    FlowState,
    Heartbeat,
    Operation,
    OperationAttempt,
    OperationState,
    SyncCursor,
)
from channel.models.records import (
    ApiKey,
    ApiKeyScope,
    AuditEvent,
    CallDirection,
    CallRecord,
    IdempotencyRecord,
)
from channel.models.refunds import CreditMemo, CreditMemoPurpose, CreditMemoState
from channel.models.shipping import AwbSeries, CheckDigit, Courier, Location, Manifest, ManifestItem

__all__ = [
    "MONEY",
    "OrderLifecycle",
    "Order",
    "OrderLine",
    "NotSentReason",
    "GoLive",
    "BackfillRun",
    "BackfillState",
    "SyncCursor",
    "Flow",
    "FlowState",
    "OperationState",
    "ErrorClass",
    "Operation",
    "OperationAttempt",
    "Heartbeat",
    "ApiKeyScope",
    "ApiKey",
    "CallDirection",
    "CallRecord",
    "AuditEvent",
    "IdempotencyRecord",
    "ShipmentState",
    "AwbSource",
    "Shipment",
    "ShipmentLine",
    "InvoiceState",
    "Invoice",
    "DocumentKind",
    "Document",
    "Courier",
    "Location",
    "CheckDigit",
    "AwbSeries",
    "Manifest",
    "ManifestItem",
    "StockState",
    "StockLevel",
    "StockSource",
    "CreditMemoState",
    "CreditMemoPurpose",
    "CreditMemo",
]
