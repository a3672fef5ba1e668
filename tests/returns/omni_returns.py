"""A small stateful Omni for the returns tests, built on the shared simulator base.

It serves Create Return Order (`POST {OMNI}/return/return-orders`) like Omni: 200 with an empty
body; 400 BAD_DATA for a missing field, an unknown location or SKU, or a returnOrderCode it
already has. Faults come from `Simulator.inject` (status, timeout_before, timeout_after, reset).
"""

from __future__ import annotations

from typing import Any

from channel.simulators.base import RecordedRequest, SimError, SimResponse, Simulator

PREFIX = "/assure-magic2"
REQUIRED = ("forwardOrderCode", "returnOrderCode", "locationCode", "orderType", "orderItems")


def bad_data(message: str, description: str = "") -> SimError:
    return SimError(
        SimResponse(400, {"code": "BAD_DATA", "message": message, "description": description})
    )


class OmniReturns(Simulator):
    def __init__(self) -> None:
        super().__init__()
        self.returns: dict[str, dict[str, Any]] = {}
        self.locations = {"WH1", "WH2"}
        self.unknown_skus: set[str] = set()
        self.route("POST", r"/return/return-orders", self.create_return)

    def route_path(self, path: str) -> str | None:
        return path[len(PREFIX) :] if path.startswith(PREFIX) else None

    def create_return(self, req: RecordedRequest) -> SimResponse:
        body = req.json or {}
        missing = [name for name in REQUIRED if not body.get(name)]
        if missing:
            raise bad_data("Input validation failed", f"[{missing[0]}: may not be null]")
        if body["locationCode"] not in self.locations:
            raise bad_data(f"Invalid location code: {body['locationCode']}")
        for item in body["orderItems"]:
            if item["channelSkuCode"] in self.unknown_skus:
                raise bad_data(f"Channel SKU not mapped: {item['channelSkuCode']}")
        if body["returnOrderCode"] in self.returns:
            raise bad_data(f"Return order already exists: {body['returnOrderCode']}")
        self.returns[body["returnOrderCode"]] = body
        return SimResponse(200, raw=b"")

    def created(self) -> list[dict[str, Any]]:
        return [r.json for r in self.calls("POST", "/return/return-orders")]
