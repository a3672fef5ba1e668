"""The settings every test runs with (see the autouse ``_isolated`` fixture in tests/conftest.py):
where the fake Magento and fake Omni answer, and the credentials the proxy presents to them."""

from __future__ import annotations

MAGENTO_URL = "http://magento.test/rest/default"
OMNI_URL = "http://omni.test/assure-magic2"
MAGENTO_TOKEN = "magento-integration-token-xyz"
OMNI_PASSWORD = "omni-password-secret"
