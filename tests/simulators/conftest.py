"""Fixtures for the simulator tests: a fake Magento and a fake Omni behind requests sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from simulators.base import SimulatorAdapter
from simulators.magento import MagentoSimulator
from simulators.omni import OmniSimulator
from tests.support.simulators import MAGENTO, OMNI


@pytest.fixture
def magento() -> MagentoSimulator:
    sim = MagentoSimulator()
    sim.set_clock("2024-05-01 10:00:00")
    return sim


@pytest.fixture
def anon(magento: MagentoSimulator) -> Iterator[requests.Session]:
    """A session talking to the fake Magento in-process, without credentials."""
    session = requests.Session()
    session.mount(MAGENTO, SimulatorAdapter(magento))
    yield session
    session.close()


@pytest.fixture
def client(magento: MagentoSimulator, anon: requests.Session) -> requests.Session:
    """The same session with the integration access token as Bearer token."""
    anon.headers["Authorization"] = f"Bearer {magento.oauth_access_token}"
    return anon


@pytest.fixture
def omni() -> OmniSimulator:
    return OmniSimulator()


@pytest.fixture
def omni_client(omni: OmniSimulator) -> Iterator[requests.Session]:
    session = requests.Session()
    session.mount(OMNI, SimulatorAdapter(omni))
    session.headers.update(omni.headers())
    yield session
    session.close()
