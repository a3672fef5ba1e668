"""The one error of the outbound clients: Magento or Omni refused or did not answer."""

from __future__ import annotations


class RemoteError(Exception):
    """A remote system refused a call or did not answer.

    `transient` errors (timeouts, connection errors, 5xx, 429) are retried with backoff; the rest
    wait for a person. `needs_config` marks errors only a configuration change fixes (auth, 2FA).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        transient: bool = False,
        needs_config: bool = False,
        timed_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.transient = transient
        self.needs_config = needs_config
        self.timed_out = timed_out
