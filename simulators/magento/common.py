"""Shared pieces of the fake Magento: constants (ACL ids, Magento's error strings), number
and key helpers, :class:`MagentoError`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from simulators.base import SimError, SimResponse, report_id

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

ACL_VIEW = "Magento_Sales::actions_view"
ACL_COMMENT = "Magento_Sales::comment"
ACL_CANCEL = "Magento_Sales::cancel"
ACL_HOLD = "Magento_Sales::hold"
ACL_UNHOLD = "Magento_Sales::unhold"
ACL_INVOICE = "Magento_Sales::invoice"
ACL_INVOICES = "Magento_Sales::sales_invoice"
ACL_SHIP = "Magento_Sales::ship"
ACL_SHIPMENT = "Magento_Sales::shipment"
ACL_REFUND = "Magento_Sales::creditmemo"
ACL_CREDITMEMOS = "Magento_Sales::sales_creditmemo"
ACL_STOCK = "Magento_Catalog::catalog_inventory"
ACL_SOURCE_READ = "Magento_InventoryApi::source"
ACL_SOURCE_SAVE = "Magento_InventoryApi::stock_source_item_assign"
ACL_SALABLE = "Magento_InventoryApi::stock"
ACL_PRODUCTS = "Magento_Catalog::products"

MSG_NO_ROUTE = "Request does not match any route."
MSG_UNAUTHORIZED = "The consumer isn't authorized to access %resources."
MSG_SIGN_IN = (
    "The account sign-in was incorrect or your account is disabled temporarily. "
    "Please wait and try again later."
)
MSG_2FA = "Please use the 2fa provider-specific endpoints to obtain a token."
MSG_REQUIRED = '"%fieldName" is required. Enter and try again.'
MSG_NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
MSG_ID_NEEDED = "An ID is needed. Set the ID and try again."
MSG_TYPE = (
    'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.'
)
MSG_DECODING = "Decoding error."
MSG_METHOD = "The %1 HTTP method is not supported."
MSG_PAGE_MAX = "Maximum SearchCriteria pageSize is %max"
MSG_ARRAY_MAX = 'Maximum items of type "%type" is %max'
MSG_NO_SKU = 'Product with SKU "%1" does not exist'
MSG_COMMENT_STATUS = (
    'Unable to add comment: The status "%1" is not part of the order status history.'
)
MSG_HOLD = "A hold action is not available."
MSG_UNHOLD = "You cannot remove the hold."
INVOICE_PREFIX = "Invoice Document Validation Error(s):\n"
SHIP_PREFIX = "Shipment Document Validation Error(s):\n"
CREDITMEMO_PREFIX = "Creditmemo Document Validation Error(s):\n"
MSG_SHIP_SAVE = "Could not save a shipment, see error log for details"
MSG_SOURCE_SAVE = "Could not save Source Item"

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


# -- small helpers -------------------------------------------------------------------------------


def num(value: float) -> float | int:
    """A JSON number as Magento prints it: integral values without a fraction."""
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def money(value: float) -> float | int:
    return num(round(float(value) + 1e-9, 2))


def snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def snake_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    return {snake(k): v for k, v in data.items()}


def public(data: Mapping[str, Any]) -> dict[str, Any]:
    """The REST view of an internal record: drop ``_private`` keys."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def set_money(record: dict[str, Any], **values: float) -> None:
    """Set ``key`` and its ``base_key`` twin (base currency == order currency here)."""
    for key, value in values.items():
        record[key] = record[f"base_{key}"] = money(value)


def add_money(record: dict[str, Any], **values: float) -> None:
    for key, value in values.items():
        set_money(record, **{key: float(record.get(key) or 0) + value})


class MagentoError(SimError):
    """A Magento error response: ``{"message", "parameters"?, "errors"?}``."""

    def __init__(
        self,
        status: int,
        message: str,
        parameters: Any = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        body: dict[str, Any] = {"message": message}
        if parameters is not None:
            body["parameters"] = parameters
        if errors is not None:
            body["errors"] = errors
        super().__init__(SimResponse(status, body))
        self.message = message


def _required(field_name: str) -> MagentoError:
    return MagentoError(400, MSG_REQUIRED, {"fieldName": field_name})


def _type_error(value: Any, type_name: str) -> MagentoError:
    return MagentoError(400, MSG_TYPE, {"value": str(value), "type": type_name})


def _not_found() -> MagentoError:
    return MagentoError(404, MSG_NO_ENTITY)


def _internal_error() -> MagentoError:
    message = "Internal Error. Details are available in Magento log file. Report ID: webapi-"
    return MagentoError(500, message + report_id())


def parse_int(value: Any, type_name: str = "int") -> int:
    try:
        return int(str(value))
    except ValueError:
        raise _type_error(value, type_name) from None


def parse_number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _type_error(value, "float") from None


# -- dates and rendering ------------------------------------------------------------------------


def _as_utc(when: datetime | str) -> datetime:
    if isinstance(when, str):
        when = datetime.strptime(when, DATE_FORMAT).replace(tzinfo=UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _stamp(when: datetime | str) -> str:
    return _as_utc(when).strftime(DATE_FORMAT)


def _copy(row: Mapping[str, Any]) -> Mapping[str, Any]:
    return row
