"""Secrets never reach call records."""

from __future__ import annotations

import pytest

from channel.lib import redaction


def test_it_masks_configured_secrets_anywhere(settings) -> None:
    redaction.clear_cache()
    text = redaction.redact_text(f"Bearer {settings.MAGENTO_TOKEN} and more")
    assert settings.MAGENTO_TOKEN not in text and "***" in text


def test_it_masks_secret_looking_json_keys() -> None:
    body = '{"username": "admin", "password": "pw-123456", "nested": {"accessToken": "abc"}}'
    assert redaction.redact_text(body) == (
        '{"username": "admin", "password": "***", "nested": {"accessToken": "***"}}'
    )


def test_it_masks_tokens_learnt_at_run_time() -> None:
    redaction.remember_secret("jwt-token-value-1")
    assert "jwt-token-value-1" not in redaction.redact_text('"jwt-token-value-1"')


def test_it_keeps_a_json_body_without_secret_looking_keys_as_it_was_sent() -> None:
    body = '{"orders":[{"orderCode":"000000001","quantity":2}],"totalCount":1}'
    assert redaction.redact_text(body) is body


def test_it_masks_secret_looking_keys_whatever_their_case() -> None:
    body = '[{"X-API-KEY": "k-1", "Authorization": "Bearer b-2", "api_key": "k-3"}]'
    assert redaction.redact_text(body) == (
        '[{"X-API-KEY": "***", "Authorization": "***", "api_key": "***"}]'
    )


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (' \n {"password": "hunter22-leading"}', "hunter22-leading"),
        ('\t[{"token": "tok-in-a-list"}]', "tok-in-a-list"),
        ("username=ops&password=form-secret-1&x=1", "form-secret-1"),
        ("grant_type=password&client_secret=cs-value-2", "cs-value-2"),
        ("/V1/x?searchCriteria=1&access_token=qs-token-3", "qs-token-3"),
        ('{"authKey": "ak-value-4"}', "ak-value-4"),
        ('{"credential": "cred-value-5"}', "cred-value-5"),
        ('{"nested": {"AUTH_KEY": "ak-value-6", "Credentials": ["c-7"]}}', "ak-value-6"),
        ('{"nested": {"Credentials": ["cred-list-7"]}}', "cred-list-7"),
    ],
)
def test_the_redaction_gaps_are_closed(text: str, secret: str) -> None:
    assert secret not in redaction.redact_text(text)


def test_form_redaction_keeps_the_other_fields() -> None:
    assert redaction.redact_text("username=ops&password=pw-1&grant_type=password") == (
        "username=ops&password=***&grant_type=password"
    )
