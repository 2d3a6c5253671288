"""Fecha is the wall time at LugarExpedicion: one zone per c_CodigoPostal description, state and
border mark, with today's daylight-saving rules (none since 2022-10-30 except the northern border,
which follows the US calendar: second Sunday of March to first Sunday of November)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from postventa.cfdi import catalogs
from postventa.cfdi.timezones import (
    MEXICO_CITY,
    UnknownPlaceOfIssueError,
    iana_zone_name,
    local_fecha,
    mexico_city_local,
    zone_for_codigo_postal,
    zone_if_known,
)

# 2025: US DST from 2025-03-09 to 2025-11-02. A UTC instant well inside each side.
WINTER = datetime(2025, 1, 15, 18, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 15, 18, 0, tzinfo=UTC)

# (place, what it is, IANA zone, UTC offset in winter, UTC offset in summer)
PLACES = [
    ("22000", "Tijuana, BC (Tiempo del Noroeste)", "America/Tijuana", -8, -7),
    ("21100", "Mexicali, BC", "America/Tijuana", -8, -7),
    ("22768", "Ensenada, BC, no border mark: still US calendar", "America/Tijuana", -8, -7),
    ("83000", "Hermosillo, Son (Tiempo del Pacífico)", "America/Hermosillo", -7, -7),
    ("84000", "Nogales, Son, border mark: no DST", "America/Hermosillo", -7, -7),
    ("80000", "Culiacán, Sin", "America/Mazatlan", -7, -7),
    ("23000", "La Paz, BCS", "America/Mazatlan", -7, -7),
    ("63000", "Tepic, Nay", "America/Mazatlan", -7, -7),
    ("63732", "Bahía de Banderas, Nay (Tiempo del Centro)", "America/Bahia_Banderas", -6, -6),
    ("32000", "Ciudad Juárez, Chih", "America/Ciudad_Juarez", -7, -6),
    ("31820", "Ascensión, Chih", "America/Ciudad_Juarez", -7, -6),
    ("32880", "Ojinaga, Chih", "America/Ojinaga", -6, -5),
    ("31000", "Chihuahua, Chih", "America/Chihuahua", -6, -6),
    ("88500", "Reynosa, Tamps (Tiempo del Centro en Frontera)", "America/Matamoros", -6, -5),
    ("26000", "Piedras Negras, Coah", "America/Matamoros", -6, -5),
    ("64000", "Monterrey, NL", "America/Monterrey", -6, -6),
    ("97000", "Mérida, Yuc", "America/Merida", -6, -6),
    ("24000", "Campeche, Camp", "America/Merida", -6, -6),
    ("77500", "Cancún, QRoo (Tiempo del Sureste)", "America/Cancun", -5, -5),
    ("06600", "Ciudad de México", "America/Mexico_City", -6, -6),
    ("42501", "Hidalgo", "America/Mexico_City", -6, -6),
]


@pytest.mark.parametrize(("cp", "where", "iana", "winter", "summer"), PLACES)
def test_each_place_gets_its_zone_and_offsets_on_both_sides_of_the_us_dst_change(
    cp: str, where: str, iana: str, winter: int, summer: int
) -> None:
    row = catalogs.datos_codigo_postal(cp)
    assert row is not None, where
    assert iana_zone_name(row) == iana, where
    for moment, hours in ((WINTER, winter), (SUMMER, summer)):
        expected = (moment + timedelta(hours=hours)).replace(tzinfo=None)
        assert local_fecha(cp, moment) == expected, (where, moment)


@pytest.mark.parametrize(
    ("cp", "before", "after"),
    [("22000", -8, -7), ("88500", -6, -5), ("32000", -7, -6), ("32880", -6, -5)],
)
def test_border_clocks_jump_at_2am_on_the_second_sunday_of_march(
    cp: str, before: int, after: int
) -> None:
    # 2026-03-08 is the second Sunday of March: 02:00 local standard time becomes 03:00.
    just_before = datetime(2026, 3, 8, 1, 59, tzinfo=timezone(timedelta(hours=before)))
    just_after = just_before + timedelta(minutes=2)
    assert local_fecha(cp, just_before) == datetime(2026, 3, 8, 1, 59)
    assert local_fecha(cp, just_after) == datetime(2026, 3, 8, 3, 1)
    assert zone_for_codigo_postal(cp).utcoffset(datetime(2026, 3, 8, 12)) == timedelta(hours=after)


@pytest.mark.parametrize("cp", ["22000", "88500"])
def test_border_clocks_go_back_on_the_first_sunday_of_november(cp: str) -> None:
    # 2026-11-01: the summer 01:59 is followed by 01:00 standard time.
    tz = zone_for_codigo_postal(cp)
    summer_0159 = datetime(2026, 11, 1, 1, 59, tzinfo=tz)
    utc = summer_0159.astimezone(UTC) + timedelta(minutes=2)
    assert local_fecha(cp, utc) == datetime(2026, 11, 1, 1, 1)


@pytest.mark.parametrize("cp", ["06600", "83000", "80000", "77500", "97000", "31000"])
def test_the_rest_of_mexico_has_no_dst_since_october_2022(cp: str) -> None:
    tz = zone_for_codigo_postal(cp)
    offsets = {tz.utcoffset(datetime(2025, month, 15, 12)) for month in range(1, 13)}
    assert len(offsets) == 1


def test_central_mexico_still_had_dst_before_the_2022_law() -> None:
    summer_2021 = datetime(2021, 7, 1, 18, 0, tzinfo=UTC)
    assert local_fecha("06600", summer_2021) == datetime(2021, 7, 1, 13, 0)


def test_tijuana_is_not_two_hours_ahead_like_satcfdis_matamoros() -> None:
    # satcfdi maps Tiempo del Noroeste to America/Matamoros: 13:00 would be a Fecha in the future
    assert local_fecha("22000", SUMMER) == datetime(2025, 7, 15, 11, 0)


def test_every_postal_code_maps_to_a_zone() -> None:
    seen = {
        iana_zone_name(row)
        for row in catalogs._postal_codes().rows  # every run of the shipped catalog
    }
    assert "America/La_Paz" not in seen
    assert seen <= {name for _, _, name, _, _ in PLACES}


def test_a_naive_moment_is_already_local_and_is_kept_to_the_second() -> None:
    assert local_fecha("22000", datetime(2025, 7, 15, 11, 0, 5, 999)) == datetime(
        2025, 7, 15, 11, 0, 5
    )


def test_now_is_the_default() -> None:
    before = datetime.now(UTC)
    fecha = local_fecha("22000")
    after = datetime.now(UTC)
    tz = zone_for_codigo_postal("22000")
    assert before.astimezone(tz).replace(tzinfo=None, microsecond=0) <= fecha
    assert fecha <= after.astimezone(tz).replace(tzinfo=None)


def test_a_place_outside_the_catalog_is_refused_in_spanish() -> None:
    with pytest.raises(UnknownPlaceOfIssueError, match="c_CodigoPostal"):
        local_fecha("00001", SUMMER)


def test_a_check_that_reports_an_unknown_place_itself_gets_no_zone_rather_than_a_guess() -> None:
    assert zone_if_known("00001") is None
    assert zone_if_known("22000") is zone_for_codigo_postal("22000")


def test_mexico_city_is_the_one_definition_for_the_rest_of_the_product() -> None:
    from postventa import formatting

    assert formatting.MEXICO_CITY is MEXICO_CITY
    assert mexico_city_local(SUMMER) == datetime(2025, 7, 15, 12, 0)
    assert mexico_city_local(datetime(2025, 7, 15, 12, 0)) == datetime(2025, 7, 15, 12, 0)


def test_the_pytz_fallback_gives_the_same_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from postventa.cfdi import timezones

    rules = timezones._PytzRules("America/Tijuana")
    for moment, hours in ((WINTER, -8), (SUMMER, -7)):
        local = moment.astimezone(rules)
        assert local.replace(tzinfo=None) == (moment + timedelta(hours=hours)).replace(tzinfo=None)
        assert rules.utcoffset(local.replace(tzinfo=None)) == timedelta(hours=hours)
