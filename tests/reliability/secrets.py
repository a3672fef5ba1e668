"""Searching stored records and logs for configured secrets."""

from __future__ import annotations

from tests.reliability.harness import Secrets


def secret_values(secrets: Secrets, extra: list[str]) -> dict[str, str]:
    values = {
        "MAGENTO_TOKEN": secrets.magento_token,
        "MAGENTO_PASSWORD": secrets.magento_password,
        "OMNI_AUTH_PASSWORD": secrets.omni_password,
        "SECRET_KEY": secrets.secret_key,
    }
    values |= {f"secret #{n + 1}": value for n, value in enumerate(extra)}
    return {name: value for name, value in values.items() if value}


def assert_no_secrets(text: str, secrets: Secrets, extra: list[str]) -> None:
    found = [name for name, value in secret_values(secrets, extra).items() if value in text]
    assert not found, f"secrets in the logs: {found}"
