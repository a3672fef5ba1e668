"""A stateful fake of the Magento 2.4 admin REST API (orders, documents, stock).

Behaviour, shapes and error strings follow ``shared/reference/magento-rest.md`` (sections 1-3).
Paths: ``/rest/V1/...``, ``/rest/<store code>/V1/...`` (``store_codes``, default ``default`` and
``all``).  Anything else answers 404 ``Request does not match any route.``

Knobs (plain attributes, change them at any time):

=============================  ===========  ===================================================
knob                           default      meaning
=============================  ===========  ===================================================
``comments_status_mode``       same_state   ``same_state`` (2.4.8+), ``ignored`` (2.4.7),
                                            ``free`` (<=2.4.6)
``paging_last_page_repeat``    False        True: a page past the end repeats the last page
``input_limiting``             False        True: default pageSize 20, max 300, arrays <= 20
``two_factor_enabled``         **False**    Magento's default is on; off here so tests can get
                                            admin tokens.  On: admin/token answers 400 "2fa"
``integration_bearer_allowed`` **True**     2.4.4+ default is off; integration tokens as Bearer
``admin_username/password``    admin /      credentials for ``/V1/integration/admin/token``
                               admin123
``token_ttl_seconds``          3600         admin token lifetime (measured on the sim clock)
``lockout_failures``           6            failed logins before a ``lockout_seconds`` lock
``id_as_string``               False        created ids come back as ``"12"`` instead of ``12``
``msi_multi_source``           False        ship requires a known
                                            ``arguments.extension_attributes.source_code``
``source_codes``               {default}    known MSI sources
``stocks``                     {1: [default]} MSI stocks: stock id -> source codes (``add_stock``)
``stock_channels``             {base: 1}    website code -> stock id
``order_stock_id``             1            the stock new orders reserve on
``reservations_enabled``       True         MSI reservations; False: an order lowers the
                                            legacy quantity (MSI modules disabled)
``state_change_history``       False        newer versions: empty history row on state change
``shuffle_ties``               False        rows equal on every sort key come back in random
                                            order (MySQL gives no tie order)
``integration_tokens``         {token}      Bearer tokens that never expire
``oauth_*``                    see init     OAuth 1.0a integration credentials
``oauth_verify_signature``     True         check the HMAC-SHA256/SHA1 signature
``token_acl``                  {}           token -> set of ACL ids it may use (else all)
``prepaid_methods``            {}           payment methods invoiced (captured) at placement
``offline_methods``            checkmo, ..  methods that never capture online (no refund online)
``courier_extension``          False        True: a shipment saved without a track gets a
                                            courier AWB track and a ``shipping_label`` PDF
``courier_title/code``         Delhivery    the courier module's track title and carrier code
``courier_awb_prefix``         DLV          the courier module's AWB prefix
``ims``                        None         a fake Adobe IMS (``simulators.ims``) whose tokens
                                            are accepted as Bearer (with ``x-api-key`` and
                                            ``x-gw-ims-org-id``)
``ims_only``                   False        Cloud Service: refuse every other credential
=============================  ===========  ===================================================

Builder API (for tests): :meth:`MagentoSimulator.add_product`, :meth:`MagentoSimulator.add_order`
(line spec format in its docstring), :meth:`MagentoSimulator.get_order`, ``invoices``,
``shipments``, ``creditmemos`` (dicts by entity id, REST shape), ``invoices_for(order_id)`` etc.,
the Python mirrors of the REST actions (``invoice``, ``ship``, ``cancel``, ``hold``, ``unhold``,
``add_comment``, ``refund``) and the clock (``set_clock``, ``advance_clock``).

Modules: ``simulator`` (the class: knobs, state, clock, routes, transport hooks) composed from
per-concern mixins: ``auth`` (bearer, OAuth 1.0a, admin tokens, ACLs), ``search``
(searchCriteria, ``fields=``), ``stock`` (catalog, legacy stock items, MSI source items),
``msi`` (stocks, reservations, salable quantities),
``order_builder`` (``add_order``), ``payments`` (prepaid invoicing, invoice refunds, the courier
extension, tracks, shipment e-mails), ``orders`` (read access, states, comments, hold, cancel) and
``documents`` (invoices, shipments with tracks, credit memos); ``items`` (quantities left to
invoice/ship/cancel, amount shares) and ``common`` (ACL ids, Magento's error strings, number
helpers, ``MagentoError``) are shared by them.
"""

from __future__ import annotations

from simulators.magento.auth import (
    oauth_signature,
    parse_oauth_header,
)
from simulators.magento.common import (
    ACL_CANCEL,
    ACL_COMMENT,
    ACL_CREDITMEMOS,
    ACL_HOLD,
    ACL_INVOICE,
    ACL_INVOICES,
    ACL_REFUND,
    ACL_SHIP,
    ACL_SHIPMENT,
    ACL_SOURCE_READ,
    ACL_SOURCE_SAVE,
    ACL_STOCK,
    ACL_UNHOLD,
    ACL_VIEW,
    CREDITMEMO_PREFIX,
    DATE_FORMAT,
    INVOICE_PREFIX,
    MSG_2FA,
    MSG_ARRAY_MAX,
    MSG_COMMENT_STATUS,
    MSG_DECODING,
    MSG_HOLD,
    MSG_ID_NEEDED,
    MSG_METHOD,
    MSG_NO_ENTITY,
    MSG_NO_ROUTE,
    MSG_NO_SKU,
    MSG_PAGE_MAX,
    MSG_REQUIRED,
    MSG_SHIP_SAVE,
    MSG_SIGN_IN,
    MSG_SOURCE_SAVE,
    MSG_TYPE,
    MSG_UNAUTHORIZED,
    MSG_UNHOLD,
    SHIP_PREFIX,
    MagentoError,
    add_money,
    money,
    num,
    parse_int,
    parse_number,
    public,
    set_money,
    snake,
    snake_keys,
)
from simulators.magento.order_builder import (
    DEFAULT_ADDRESS,
    DEFAULT_CUSTOMER,
    PAYMENT_TITLES,
)
from simulators.magento.orders import (
    DEFAULT_STATE_STATUSES,
    ORDER_NULLABLE_COLUMNS,
)
from simulators.magento.search import (
    SearchCriteria,
    SearchOptions,
    apply_fields,
    parse_fields,
    parse_search_criteria,
    run_search,
)
from simulators.magento.simulator import (
    MagentoSimulator,
)

__all__ = [
    "ACL_CANCEL",
    "ACL_COMMENT",
    "ACL_CREDITMEMOS",
    "ACL_HOLD",
    "ACL_INVOICE",
    "ACL_INVOICES",
    "ACL_REFUND",
    "ACL_SHIP",
    "ACL_SHIPMENT",
    "ACL_SOURCE_READ",
    "ACL_SOURCE_SAVE",
    "ACL_STOCK",
    "ACL_UNHOLD",
    "ACL_VIEW",
    "CREDITMEMO_PREFIX",
    "DATE_FORMAT",
    "DEFAULT_ADDRESS",
    "DEFAULT_CUSTOMER",
    "DEFAULT_STATE_STATUSES",
    "INVOICE_PREFIX",
    "MSG_2FA",
    "MSG_ARRAY_MAX",
    "MSG_COMMENT_STATUS",
    "MSG_DECODING",
    "MSG_HOLD",
    "MSG_ID_NEEDED",
    "MSG_METHOD",
    "MSG_NO_ENTITY",
    "MSG_NO_ROUTE",
    "MSG_NO_SKU",
    "MSG_PAGE_MAX",
    "MSG_REQUIRED",
    "MSG_SHIP_SAVE",
    "MSG_SIGN_IN",
    "MSG_SOURCE_SAVE",
    "MSG_TYPE",
    "MSG_UNAUTHORIZED",
    "MSG_UNHOLD",
    "MagentoError",
    "MagentoSimulator",
    "ORDER_NULLABLE_COLUMNS",
    "PAYMENT_TITLES",
    "SHIP_PREFIX",
    "SearchCriteria",
    "SearchOptions",
    "add_money",
    "apply_fields",
    "money",
    "num",
    "oauth_signature",
    "parse_fields",
    "parse_int",
    "parse_number",
    "parse_oauth_header",
    "parse_search_criteria",
    "public",
    "run_search",
    "set_money",
    "snake",
    "snake_keys",
]
