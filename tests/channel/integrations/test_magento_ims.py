"""MAGENTO_AUTH_MODE=ims: Adobe Commerce as a Cloud Service takes only Adobe IMS tokens (8.4)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from channel.integrations import http
from channel.integrations import magento as magento_client
from channel.integrations.magento import MagentoClient, MagentoError, forget_ims_token
from channel.lib import redaction
from channel.models import CallRecord, Order
from channel.services.sync import sync_magento
from simulators.base import RecordedRequest, Route, SimResponse, SimulatorAdapter
from simulators.ims import ImsSimulator
from simulators.magento import MagentoSimulator

pytestmark = pytest.mark.django_db
SECRET = "ims-client-secret-123"
ORG = "ABC123@AdobeOrg"


@pytest.fixture
def ims(magento: MagentoSimulator, settings) -> Iterator[ImsSimulator]:
    """A fake IMS at ims.test; the fake Magento is a Cloud Service accepting only its tokens."""
    sim = ImsSimulator(clients={"client-1": SECRET}, org_id=ORG)
    http.mount("http://ims.test", SimulatorAdapter(sim))
    magento.ims, magento.ims_only = sim, True
    settings.MAGENTO_AUTH_MODE = "ims"
    settings.IMS_TOKEN_URL = "http://ims.test/ims/token/v3"
    settings.IMS_CLIENT_ID, settings.IMS_ORG_ID = "client-1", ORG
    settings.IMS_CLIENT_SECRET = SECRET
    settings.IMS_SCOPES = "openid,AdobeID,additional_info.projectedProductContext"
    redaction.clear_cache()
    forget_ims_token()
    yield sim
    forget_ims_token()


def token_calls(sim: ImsSimulator) -> list[RecordedRequest]:
    return sim.calls("POST", "/ims/token/v3")


def test_a_sync_uses_one_ims_token_with_the_adobe_headers(
    ims: ImsSimulator, magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    for _ in range(5):
        magento.add_order()
        magento.advance_clock(60)
    assert sync_magento().errors == []
    assert Order.objects.count() == 5 and len(token_calls(ims)) == 1
    form = token_calls(ims)[0].body.decode()
    assert "grant_type=client_credentials" in form and "client_id=client-1" in form
    search = magento.calls("GET", r"/V1/orders$")[0]
    assert search.headers["x-api-key"] == "client-1"
    assert search.headers["x-gw-ims-org-id"] == ORG
    assert search.headers["Authorization"].startswith("Bearer eyJ")


def test_the_token_fetch_is_recorded_with_its_secrets_masked(
    ims: ImsSimulator, magento: MagentoSimulator
) -> None:
    magento.add_order()
    sync_magento()
    record = CallRecord.objects.get(system="adobe_ims")
    assert (record.method, record.path, record.status) == ("POST", "/ims/token/v3", 200)
    assert "client_secret=***" in record.request_body and SECRET not in record.request_body
    assert record.response_body == "(secret, not recorded)"
    token = magento.calls("GET", r"/V1/orders$")[0].headers["Authorization"][len("Bearer ") :]
    for call in CallRecord.objects.all():
        assert token not in call.path + call.request_body + call.response_body
        assert SECRET not in call.path + call.request_body + call.response_body


def test_ims_token_expiry_mid_sync_refetches_once_and_loses_no_page(
    ims: ImsSimulator, magento: MagentoSimulator, settings, monkeypatch
) -> None:
    settings.MAGENTO_PAGE_SIZE = 2
    made = []
    for _ in range(7):
        made.append(magento.add_order())
        magento.advance_clock(60)
    searches = []

    def expire_at_the_third_page(req: RecordedRequest, route: Route) -> SimResponse | None:
        if req.path.endswith("/V1/orders"):
            searches.append(req)
            if len(searches) == 3:
                ims.expire_tokens()  # the token ends between the second and the third page
        return MagentoSimulator.before(magento, req, route)

    monkeypatch.setattr(magento, "before", expire_at_the_third_page)
    report = sync_magento()
    assert report.errors == []
    assert len(token_calls(ims)) == 2  # one refetch
    assert sorted(Order.objects.values_list("entity_id", flat=True)) == [
        o["entity_id"] for o in made
    ]
    refused = [r for r in magento.requests if r.path.endswith("/V1/orders")][2]
    retried = [r for r in magento.requests if r.path.endswith("/V1/orders")][3]
    assert refused.query_string == retried.query_string  # the same page asked again


def test_the_token_is_cached_until_shortly_before_it_expires_and_shared(
    ims: ImsSimulator, magento: MagentoSimulator, settings, monkeypatch
) -> None:
    settings.IMS_TOKEN_MARGIN_SECONDS = 300
    ims.token_ttl_seconds = 3600
    clock = [time.time()]
    monkeypatch.setattr(
        magento_client, "time", SimpleNamespace(time=lambda: clock[0], monotonic=time.monotonic)
    )
    client = MagentoClient()
    client.get_order(magento.add_order()["entity_id"])
    clock[0] += 3000  # still before expiry minus the margin
    client.get_order(1)
    assert len(token_calls(ims)) == 1
    magento_client._ims_token.token = ""  # another process: the shared cache has the token
    client.get_order(1)
    assert len(token_calls(ims)) == 1
    clock[0] += 400  # within the margin of its expiry: fetched again before Magento refuses it
    client.get_order(1)
    assert len(token_calls(ims)) == 2


def test_wrong_ims_credentials_are_a_configuration_error(
    ims: ImsSimulator, magento: MagentoSimulator, settings
) -> None:
    settings.IMS_CLIENT_SECRET = "wrong-secret"
    with pytest.raises(MagentoError) as caught:
        MagentoClient().get_order(magento.add_order()["entity_id"])
    assert caught.value.needs_config
    assert "Adobe IMS refused the token request (HTTP 400): invalid client_secret" in str(
        caught.value.message
    )


def test_a_cloud_service_refuses_integration_tokens(
    ims: ImsSimulator, magento: MagentoSimulator, settings
) -> None:
    settings.MAGENTO_AUTH_MODE = "bearer"
    with pytest.raises(MagentoError) as caught:
        MagentoClient().get_order(magento.add_order()["entity_id"])
    assert caught.value.status == 401


def test_the_fake_magento_and_ims_on_loopback_as_the_demo_runs_them(settings) -> None:
    from simulators.base import serve
    from simulators.demo import DEMO_IMS_CLIENT, DEMO_IMS_ORG, DEMO_IMS_SECRET

    magento = MagentoSimulator()
    ims = ImsSimulator(clients={DEMO_IMS_CLIENT: DEMO_IMS_SECRET}, org_id=DEMO_IMS_ORG)
    magento.ims, magento.ims_only = ims, True
    magento.add_order()
    with serve(magento) as m, serve(ims) as i:
        settings.MAGENTO_BASE_URL = f"{m.base_url}/rest/default"
        settings.MAGENTO_AUTH_MODE = "ims"
        settings.IMS_TOKEN_URL = f"{i.base_url}/ims/token/v3"
        settings.IMS_CLIENT_ID, settings.IMS_ORG_ID = DEMO_IMS_CLIENT, DEMO_IMS_ORG
        settings.IMS_CLIENT_SECRET = DEMO_IMS_SECRET
        forget_ims_token()
        assert sync_magento().errors == []
    forget_ims_token()
    assert Order.objects.count() == 1 and ims.issued() == 1
