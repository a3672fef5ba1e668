"""The folders' import rules (pyproject.toml's [tool.importlinter], docs/architecture.md) hold,
and each rule the issue names is really checked: adding the forbidden import breaks it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from grimp import ImportGraph
from importlinter import configuration
from importlinter.adapters.building import GraphBuilder
from importlinter.application import use_cases
from importlinter.application.app_config import settings

PYPROJECT = str(Path(__file__).resolve().parents[1] / "pyproject.toml")


class GraphWith(GraphBuilder):
    """The project's real import graph plus one more import."""

    def __init__(self, importer: str, imported: str) -> None:
        self.importer, self.imported = importer, imported

    def build(self, *args: object, **kwargs: object) -> ImportGraph:
        graph = super().build(*args, **kwargs)  # type: ignore[arg-type]
        graph.add_import(
            importer=self.importer, imported=self.imported, line_number=1, line_contents="(test)"
        )
        return graph


@pytest.fixture(autouse=True)
def linter_settings() -> Iterator[None]:
    configuration.configure()
    saved = settings.copy()
    yield
    settings.configure(GRAPH_BUILDER=saved.GRAPH_BUILDER)


def rules_kept(*contract_ids: str) -> bool:
    """Check the rules (all of them when no id is given); the report goes to the test's output."""
    return use_cases.lint_imports(
        PYPROJECT, limit_to_contracts=contract_ids, cache_dir=None, no_logo=True, is_debug_mode=True
    )


def test_the_code_keeps_every_import_rule() -> None:
    assert rules_kept()


@pytest.mark.parametrize(
    ("importer", "imported", "rule"),
    [
        ("channel.api.views.orders", "channel.integrations.magento", "views-call-services"),
        ("channel.admin.orders", "channel.outbox.queue", "views-call-services"),
        ("channel.models.orders", "channel.services.audit", "channel-layers"),
        ("channel.integrations.magento", "channel.services.sync", "channel-layers"),
        ("channel.services.orders", "channel.api.views.orders", "channel-layers"),
        ("channel.services.orders", "returns.services", "channel-without-returns"),
        ("returns.models", "returns.services", "returns-layers"),
        ("channel.services.sync", "simulators.magento", "no-fakes-in-the-app"),
        ("simulators.magento", "channel.models", "fakes-stand-alone"),
    ],
)
def test_a_forbidden_import_breaks_its_rule(importer: str, imported: str, rule: str) -> None:
    assert rules_kept(rule)
    settings.configure(GRAPH_BUILDER=GraphWith(importer, imported))
    assert not rules_kept(rule)
