"""Schemathesis against /api/schema/, in-process (docs/api.md, "Fuzzing").

One test per operation of the schema: the seeded world (conftest), valid API keys, then the
schema's examples, its boundary values (coverage phase) and FUZZ_EXAMPLES random requests, valid
and invalid ones. Every answer must be no 5xx, an error with the hasError body, a documented
status with a body that matches the schema, and the API must refuse a call without its key.
`FUZZ_EXAMPLES=500 scripts/test tests/fuzz -q` runs longer; FUZZ_SEED picks another sequence.
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import schemathesis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from tests.support.api import scope_of

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": int(os.environ.get("FUZZ_SEED", "20260131")),
        "generation": {
            "mode": "all",  # valid and invalid requests
            "max-examples": EXAMPLES,
            "with-security-parameters": False,  # the key is ours (a random one is a 401)
            "database": "none",  # the same requests on every run, unless FUZZ_SEED changes
        },
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@schemathesis.check
def error_has_the_error_body(ctx: Any, response: Any, case: Case) -> bool | None:
    """Contract section 0: every error answers {"hasError": true, "errorMessage": "..."}."""
    if response.status_code < 400:
        return None
    body = response.json()
    message = body.get("errorMessage") if isinstance(body, dict) else None
    if not (body.get("hasError") is True and isinstance(message, str) and message):
        raise AssertionError(f"{response.status_code} without the hasError body: {body!r}")
    return True


CHECKS = [
    not_a_server_error,
    error_has_the_error_body,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
    unsupported_method,
]


@schema.parametrize()
# Every request runs in a savepoint rolled back after it, so each sees the seeded world as it is
# (and a failure replays alone): the function-scoped fixtures are meant.
@hypothesis.settings(
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture], deadline=None
)
def test_it_answers_every_request_without_a_5xx_and_every_error_with_has_error(
    case: Case, seeded: None, keys: dict[str, str], in_test_transaction: None
) -> None:
    headers = {settings.API_KEY_HEADER: keys[scope_of(case.path)]}
    # ignored_auth probes each operation with a wrong key: twenty of those would throttle this
    # client (channel.api.auth), and every later answer would be a 429.
    cache.clear()
    with transaction.atomic():
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        transaction.set_rollback(True)
    if os.environ.get("FUZZ_TRACE"):
        print("FUZZ", case.method, case.formatted_path, case.query, response.status_code)
