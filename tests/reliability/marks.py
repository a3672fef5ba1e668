"""Marks of the reliability tests that start real processes."""

from __future__ import annotations

import pytest
from django.db import connection

needs_processes = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real web and worker processes share the test database: needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]
