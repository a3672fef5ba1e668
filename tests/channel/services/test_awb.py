"""Couriers, AWB series and allocation (services.awb), add_awb_series, the admin AWB tools."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection
from django.test import Client

from channel.models import (
    AuditEvent,
    AwbSeries,
    AwbSource,
    CheckDigit,
    Courier,
    Location,
    Shipment,
    ShipmentState,
)
from channel.models.shipping import awb_format, check_digit
from channel.services.awb import awb_allocate, shipment_assign_awb
from channel.services.errors import Conflict, InvalidRequest
from channel.services.roles import ensure_roles
from tests.support.shipping import add_series, make_location, make_shipment, mirror_order

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real row locks need PostgreSQL"
)


def series(**fields: object) -> AwbSeries:
    values = {"prefix": "", "suffix": "", "width": 0, "check_digit": CheckDigit.NONE}
    return AwbSeries(start=1, end=99_999_999, next_number=1, **(values | fields))


# --- formatting ----------------------------------------------------------------------------------


def test_it_formats_awbs_with_prefix_padding_and_suffix() -> None:
    assert awb_format(series(prefix="DL"), 1000) == "DL1000"
    assert awb_format(series(prefix="X-", width=8, suffix="B"), 42) == "X-00000042B"


def test_it_appends_a_mod7_check_digit() -> None:
    assert check_digit(CheckDigit.MOD7, 123456789) == "1"
    assert awb_format(series(check_digit=CheckDigit.MOD7), 123456789) == "1234567891"


@pytest.mark.parametrize(
    ("serial", "digit"),
    [(47312482, "9"), (10000000, "3"), (10000014, "0"), (10000002, "5")],
    ids=["upu-example", "plain", "ten-becomes-0", "eleven-becomes-5"],
)
def test_it_appends_the_s10_mod11_check_digit(serial: int, digit: str) -> None:
    assert check_digit(CheckDigit.MOD11, serial) == digit


def test_it_pads_s10_serials_to_eight_digits() -> None:
    s10 = series(prefix="EM", suffix="IN", check_digit=CheckDigit.MOD11)
    assert awb_format(s10, 47312482) == "EM473124829IN"
    assert awb_format(s10, 42) == "EM000000425IN"


# --- series --------------------------------------------------------------------------------------


def test_it_adds_a_series_and_makes_the_courier_default_at_the_location() -> None:
    added = add_series(start=1000, end=1999)

    assert (added.courier.name, added.location.code, added.next_number) == (
        "Delhivery",
        "WH1",
        1000,
    )
    assert Location.objects.get(code="WH1").default_courier == added.courier
    assert AuditEvent.objects.filter(action="awb.series_added").count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"start": 10, "end": 5}, "end", "The last number must be at least the first (10)."),
        ({"prefix": "D L"}, "prefix", "Only letters, digits and '-' are allowed."),
        ({"check": CheckDigit.MOD11, "end": 10**9}, "end", "Mod 11 (S10) serials have 8 digits"),
        ({"width": 3, "end": 1999}, "width", "1999 has more than 3 digits."),
    ],
)
def test_it_refuses_a_bad_series(fields: dict, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        add_series(**({"start": 1000, "end": 1999} | fields))

    assert error.value.message_dict[field][0].startswith(message)
    assert not AwbSeries.objects.exists()


def test_it_refuses_a_series_overlapping_another_one() -> None:
    add_series(start=1000, end=1999)

    with pytest.raises(ValidationError, match="overlaps Delhivery DL1000–1999"):
        add_series("Blue Dart", start=1500, end=2500, location="")
    add_series("Blue Dart", prefix="BD", start=1500, end=2500, location="")  # other prefix: fine


def test_it_adds_a_series_from_the_command_line() -> None:
    out = StringIO()
    call_command(
        "add_awb_series",
        "India Post",
        "--prefix=EM",
        "--suffix=IN",
        "--check-digit=mod11",
        "--start=47312482",
        "--end=47313481",
        "--location=WH2",
        "--default",
        stdout=out,
    )

    assert out.getvalue().splitlines() == [
        "Added 1000 AWB numbers for India Post (location WH2): EM473124829IN … EM473134812IN",
        "India Post is now the default courier at location WH2.",
        "Location WH2 has no address yet: add it in admin (Locations).",
    ]
    assert Location.objects.get(code="WH2").default_courier.name == "India Post"


def test_it_makes_a_courier_the_default_everywhere_from_the_command_line() -> None:
    call_command("add_awb_series", "Delhivery", "--start=1", "--end=9", stdout=StringIO())
    call_command(
        "add_awb_series", "Ekart", "--start=10", "--end=19", "--default", stdout=StringIO()
    )

    assert list(Courier.objects.filter(is_default=True).values_list("name", flat=True)) == ["Ekart"]


def test_it_explains_a_refused_series_on_the_command_line() -> None:
    with pytest.raises(CommandError, match="Series not added: end: The last number must be"):
        call_command("add_awb_series", "Delhivery", "--start=10", "--end=1", stdout=StringIO())


# --- allocation ----------------------------------------------------------------------------------


def test_it_allocates_consecutive_awbs_and_keeps_a_shipments_awb() -> None:
    add_series(start=1000, end=1999)
    order = mirror_order()
    first, second = make_shipment(order, 1), make_shipment(order, 2)

    assert awb_allocate(shipment=first).awb_number == "DL1000"
    assert awb_allocate(shipment=second).awb_number == "DL1001"
    assert awb_allocate(shipment=first).awb_number == "DL1000"
    shipment = Shipment.objects.get(pk=first.pk)
    assert (shipment.transporter, shipment.awb_source) == ("Delhivery", AwbSource.SERIES)
    assert AwbSeries.objects.get().next_number == 1002
    event = AuditEvent.objects.filter(action="shipment.awb_allocated").first()
    assert (event.order, event.subject) == (order, "shipment:000000100-1")


def test_it_prefers_the_locations_own_series_over_a_general_one() -> None:
    general = add_series(prefix="G", location="", default=False)
    add_series(prefix="W", location="WH1", default=True)

    assert awb_allocate(shipment=make_shipment(mirror_order())).awb_number == "W1000"
    general.refresh_from_db()
    assert general.next_number == 1000


def test_it_uses_the_default_courier_where_a_location_has_none() -> None:
    add_series("Ekart", prefix="EK", location="", default=True)
    shipment = make_shipment(mirror_order(), location="WH9")

    assert awb_allocate(shipment=shipment).awb_number == "EK1000"


def test_it_moves_on_to_the_next_series_when_one_is_used_up() -> None:
    add_series(start=1, end=2)
    add_series(prefix="DLB", start=1, end=5, location="", default=False)
    order = mirror_order()

    awbs = [awb_allocate(shipment=make_shipment(order, n)).awb_number for n in range(1, 5)]

    assert awbs == ["DL1", "DL2", "DLB1", "DLB2"]


def test_it_refuses_with_a_clear_message_when_the_range_is_exhausted() -> None:
    add_series(start=1, end=1)
    order = mirror_order()
    awb_allocate(shipment=make_shipment(order, 1))

    with pytest.raises(Conflict) as error:
        awb_allocate(shipment=make_shipment(order, 2))

    assert error.value.message == (
        "No AWB available for shipment 000000100-2: courier Delhivery has no AWB numbers left "
        "for location WH1; add a series in admin or with `manage.py add_awb_series`."
    )
    assert Shipment.objects.get(shipment_code="000000100-2").awb_number == ""


def test_it_refuses_when_no_courier_is_configured() -> None:
    with pytest.raises(Conflict, match="no courier is configured for location WH1"):
        awb_allocate(shipment=make_shipment(mirror_order()))


def test_it_skips_a_number_already_given_to_a_shipment_by_hand() -> None:
    add_series(start=1000, end=1999)
    order = mirror_order()
    shipment_assign_awb(
        shipment=make_shipment(order, 1), awb="DL1000", transporter="Delhivery", actor="asha"
    )

    assert awb_allocate(shipment=make_shipment(order, 2)).awb_number == "DL1001"


def test_it_warns_in_the_log_when_the_awb_stock_runs_low(
    settings: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AWB_LOW_STOCK_THRESHOLD = 3
    add_series(start=1, end=5)
    order = mirror_order()

    with caplog.at_level(logging.WARNING, logger="channel.services.awb"):
        for n in range(1, 6):
            awb_allocate(shipment=make_shipment(order, n))

    assert [r.getMessage() for r in caplog.records] == [
        f"AWB stock low: courier Delhivery has {left} AWB numbers left for location WH1 "
        "(threshold 3); add a series in admin or with manage.py add_awb_series"
        for left in (3, 2, 1, 0)
    ]


# --- manual assignment ---------------------------------------------------------------------------


def test_it_assigns_an_awb_by_hand_and_records_it_in_the_timeline() -> None:
    add_series()
    shipment = make_shipment(mirror_order())
    awb_allocate(shipment=shipment)

    changed = shipment_assign_awb(
        shipment=shipment, awb=" SF123456789 ", transporter="Shadowfax", actor="asha"
    )

    assert (changed.awb_number, changed.transporter, changed.awb_source) == (
        "SF123456789",
        "Shadowfax",
        AwbSource.MANUAL,
    )
    event = AuditEvent.objects.get(action="shipment.awb_assigned")
    assert (event.actor, event.message) == (
        "asha",
        "AWB SF123456789 (Shadowfax) assigned by hand, replacing DL1000",
    )


@pytest.mark.parametrize(
    ("awb", "message"),
    [
        ("", "The AWB number is empty."),
        ("A" * 65, "The AWB number is longer than 64 characters."),
        ("AWB–1", "The AWB number may only contain printable ASCII characters"),
    ],
)
def test_it_refuses_an_awb_that_cannot_be_printed(awb: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        shipment_assign_awb(
            shipment=make_shipment(mirror_order()), awb=awb, transporter="X", actor="asha"
        )


def test_it_refuses_an_awb_that_is_on_another_shipment() -> None:
    order = mirror_order()
    shipment_assign_awb(shipment=make_shipment(order, 1), awb="A1", transporter="X", actor="asha")

    with pytest.raises(Conflict, match="AWB A1 is already on shipment 000000100-1."):
        shipment_assign_awb(shipment=make_shipment(order, 2), awb="A1", transporter="X", actor="a")


def test_it_refuses_a_manual_change_after_handover() -> None:
    shipment = make_shipment(
        mirror_order(), awb_number="A1", transporter="X", state=ShipmentState.HANDED_OVER
    )

    with pytest.raises(Conflict, match="was handed over with AWB A1"):
        shipment_assign_awb(shipment=shipment, awb="A2", transporter="X", actor="asha")


# --- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def support(db: None) -> Client:
    user = User.objects.create_user("asha", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="assign_awb"),
        Permission.objects.get(codename="view_shipment"),
    )
    client = Client()
    client.force_login(user)
    return client


def test_it_assigns_an_awb_in_admin(support: Client) -> None:
    shipment = make_shipment(mirror_order())
    url = f"/admin/channel/shipment/{shipment.pk}/assign-awb/"

    assert support.get(url).status_code == 200
    response = support.post(url, {"awb": "BD123", "transporter": "Blue Dart"})

    assert response.status_code == 302
    shipment.refresh_from_db()
    assert (shipment.awb_number, shipment.transporter) == ("BD123", "Blue Dart")
    assert AuditEvent.objects.get(action="shipment.awb_assigned").actor == "asha"


def test_it_shows_the_refusal_in_the_admin_form(support: Client) -> None:
    order = mirror_order()
    make_shipment(order, 1, awb_number="BD123", transporter="Blue Dart")
    shipment = make_shipment(order, 2)

    response = support.post(
        f"/admin/channel/shipment/{shipment.pk}/assign-awb/",
        {"awb": "BD123", "transporter": "Blue Dart"},
    )

    assert response.status_code == 200
    assert "AWB BD123 is already on shipment 000000100-1." in response.content.decode()


def test_it_keeps_the_admin_awb_form_from_staff_without_the_permission(db: None) -> None:
    shipment = make_shipment(mirror_order())
    client = Client()
    client.force_login(User.objects.create_user("viewer", is_staff=True))

    response = client.get(f"/admin/channel/shipment/{shipment.pk}/assign-awb/")

    assert response.status_code == 403


def test_it_lists_low_awb_stock_in_admin(
    admin_client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.AWB_LOW_STOCK_THRESHOLD = 500
    add_series(start=1, end=100)

    page = admin_client.get("/admin/channel/awbseries/").content.decode()
    low = admin_client.get("/admin/channel/awbseries/?stock=low").content.decode()

    assert "Delhivery: only 100 AWB numbers left (threshold 500)" in page
    assert "100 (low)" in page and "100 (low)" in low
    assert "100 (low)" in admin_client.get("/admin/channel/courier/").content.decode()


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


def _in_threads(count: int, work: object, workers: int = 20) -> list:
    def run(index: int) -> object:
        try:
            return work(index)  # type: ignore[operator]
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(count)))


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_never_hands_out_the_same_awb_twice_under_concurrency() -> None:
    add_series(start=100_000, end=199_999)
    order = mirror_order()
    shipments = [make_shipment(order, n) for n in range(200)]

    awbs = _in_threads(200, lambda i: awb_allocate(shipment=shipments[i]).awb_number)

    assert len(set(awbs)) == 200
    assert sorted(awbs) == [f"DL{n}" for n in range(100_000, 100_200)]
    assert AwbSeries.objects.get().next_number == 100_200


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_one_shipment_one_awb_when_asked_concurrently() -> None:
    add_series(start=1, end=1000)
    shipment = make_shipment(mirror_order())

    awbs = _in_threads(40, lambda i: awb_allocate(shipment=shipment).awb_number)

    assert set(awbs) == {"DL1"}
    assert AwbSeries.objects.get().next_number == 2
    assert AuditEvent.objects.filter(action="shipment.awb_allocated").count() == 1


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_runs_out_cleanly_under_concurrency() -> None:
    add_series(start=1, end=50)
    order = mirror_order()
    shipments = [make_shipment(order, n) for n in range(80)]

    def allocate(i: int) -> str:
        try:
            return awb_allocate(shipment=shipments[i]).awb_number
        except Conflict:
            return "409"

    results = _in_threads(80, allocate)

    assert sorted(r for r in results if r.startswith("DL")) == sorted(
        f"DL{n}" for n in range(1, 51)
    )
    assert results.count("409") == 30


def test_it_adds_a_series_in_admin_and_keeps_its_used_numbers(admin_client: Client) -> None:
    courier = Courier.objects.create(name="Ekart", is_default=True)
    form = {"courier": courier.pk, "prefix": "EK", "start": 100, "end": 199, "width": 0}
    form |= {"check_digit": "none", "active": "on", "suffix": ""}

    assert admin_client.post("/admin/channel/awbseries/add/", form).status_code == 302
    series = AwbSeries.objects.get()
    assert series.next_number == 100
    order = mirror_order()
    assert [awb_allocate(shipment=make_shipment(order, n)).awb_number for n in (1, 2)] == [
        "EK100",
        "EK101",
    ]

    url = f"/admin/channel/awbseries/{series.pk}/change/"
    refused = admin_client.post(url, {"end": 100, "active": "on"})
    raised = admin_client.post(url, {"end": 299, "active": "on"})

    assert "Numbers up to 101 are already handed out." in refused.content.decode()
    assert raised.status_code == 302
    series.refresh_from_db()
    assert (series.start, series.end, series.next_number) == (100, 299, 102)


def test_it_lets_the_support_group_manage_awbs_and_couriers(db: None) -> None:
    ensure_roles()
    user = User.objects.create_user("sam", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    client = Client()
    client.force_login(user)
    add_series()
    make_location("WH1")
    shipment = make_shipment(mirror_order(), awb_number="DL1", transporter="Delhivery")

    pages = [
        "/admin/channel/shipment/",
        f"/admin/channel/shipment/{shipment.pk}/change/",
        f"/admin/channel/shipment/{shipment.pk}/assign-awb/",
        f"/admin/channel/shipment/{shipment.pk}/label/",
        "/admin/channel/courier/",
        "/admin/channel/courier/add/",
        "/admin/channel/awbseries/add/",
        "/admin/channel/location/",
        "/admin/channel/location/add/",
    ]

    assert [client.get(page).status_code for page in pages] == [200] * len(pages)
    assert client.get(f"/admin/channel/shipment/{shipment.pk}/label/")["X-Frame-Options"] == (
        "SAMEORIGIN"
    )
