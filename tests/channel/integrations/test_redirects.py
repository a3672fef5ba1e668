"""Outbound calls never follow a redirect: a 3xx is a configuration error naming its target."""

from __future__ import annotations

import pytest
import requests
from requests.adapters import BaseAdapter

from channel.integrations import http
from channel.integrations.magento import MagentoClient, MagentoError
from channel.integrations.omni import OmniClient, OmniError
from channel.models import CallRecord

pytestmark = pytest.mark.django_db
ELSEWHERE = "http://elsewhere.test/collect"


class Redirecting(BaseAdapter):
    """Answers every request with a 307 to ELSEWHERE."""

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        response = requests.Response()
        response.status_code = 307
        response.headers["Location"] = ELSEWHERE
        response.url = request.url or ""
        response.request = request
        response._content = b""
        return response

    def close(self) -> None:
        pass


class Collecting(BaseAdapter):
    """What reaches ELSEWHERE (it must stay empty)."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        self.received.append(dict(request.headers))
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def elsewhere() -> Collecting:
    collecting = Collecting()
    http.mount("http://elsewhere.test", collecting)
    return collecting


def test_a_redirect_from_omni_does_not_carry_the_credentials_elsewhere(
    elsewhere: Collecting,
) -> None:
    http.mount("http://omni.test", Redirecting())
    with pytest.raises(OmniError) as caught:
        OmniClient().create_outward_order({"orderCode": "100"})
    assert elsewhere.received == []
    assert caught.value.needs_config and not caught.value.transient
    assert ELSEWHERE in caught.value.message
    record = CallRecord.objects.get()
    assert record.status == 307 and ELSEWHERE in record.error


def test_a_redirect_from_magento_is_a_configuration_error(elsewhere: Collecting) -> None:
    http.mount("http://magento.test", Redirecting())
    with pytest.raises(MagentoError) as caught:
        MagentoClient().search_orders([("searchCriteria[pageSize]", "1")])
    assert elsewhere.received == []
    assert caught.value.needs_config and ELSEWHERE in caught.value.message
