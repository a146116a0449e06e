"""Check-in coordinates: WeChat reports GCJ-02, outlets are WGS-84; distances and the two flags."""
import random
from datetime import datetime, timedelta

import pytest

from fieldrecords.domain.geo import (
    CheckinRadius, ImpossibleTravel, distance_m, gcj02_to_wgs84, out_of_china, to_wgs84,
    travel_speed_kmh, wgs84_to_gcj02)

# Reference pairs published with the eviltransform algorithm: (wgs lat, wgs lng, gcj lat, gcj lng).
REFERENCE = [
    pytest.param(31.1774276, 121.5272106, 31.17530398364597, 121.531541859215, id="shanghai"),
    pytest.param(22.543847, 113.912316, 22.540796131694766, 113.9171764808363, id="shenzhen"),
    pytest.param(39.911954, 116.377817, 39.91334545536069, 116.38404722455657, id="beijing"),
]

PEOPLES_SQUARE = (121.4737, 31.2304)        # WGS-84, as an outlet would be registered
T0 = datetime(2026, 5, 11, 9, 0)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", REFERENCE)
def test_wgs84_to_gcj02_reproduces_the_published_values(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lng, lat = wgs84_to_gcj02(wgs_lng, wgs_lat)
    assert lng == pytest.approx(gcj_lng, abs=1e-9)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", REFERENCE)
def test_gcj02_to_wgs84_is_the_exact_inverse_at_the_published_points(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lng, lat = gcj02_to_wgs84(gcj_lng, gcj_lat)
    assert distance_m(lng, lat, wgs_lng, wgs_lat) < 0.01


def test_round_trip_across_china_stays_within_a_centimetre():
    # The one-step approximation (subtracting the shift computed at the GCJ point) is off by up
    # to ~4 m over this area; the iterated inverse must do far better than the 0.5 m asked for.
    rng = random.Random(20260511)
    worst = 0.0
    for _ in range(500):
        lng, lat = rng.uniform(74.0, 135.0), rng.uniform(18.0, 53.0)
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
        worst = max(worst, distance_m(lng, lat, *back))
    assert worst < 0.01


def test_the_shift_in_shanghai_is_hundreds_of_metres():
    # Why the conversion matters: the offset is as large as a whole check-in radius.
    shifted = wgs84_to_gcj02(*PEOPLES_SQUARE)
    assert 400 < distance_m(*PEOPLES_SQUARE, *shifted) < 600


@pytest.mark.parametrize("lng, lat", [(139.6917, 35.6895), (-0.1276, 51.5072), (151.2093, -33.8688)],
                         ids=["tokyo", "london", "sydney"])
def test_no_shift_outside_china(lng, lat):
    assert out_of_china(lng, lat)
    assert wgs84_to_gcj02(lng, lat) == (lng, lat)
    assert gcj02_to_wgs84(lng, lat) == (lng, lat)


def test_points_in_china_are_inside_the_box():
    assert not out_of_china(*PEOPLES_SQUARE)
    assert not out_of_china(87.6168, 43.8256)        # Ürümqi
    assert not out_of_china(110.3312, 20.0311)       # Haikou


def test_to_wgs84_converts_only_gcj02():
    gcj = wgs84_to_gcj02(*PEOPLES_SQUARE)
    assert to_wgs84(*PEOPLES_SQUARE, "WGS-84") == PEOPLES_SQUARE
    lng, lat = to_wgs84(*gcj, "GCJ-02")
    assert distance_m(lng, lat, *PEOPLES_SQUARE) < 0.01
    with pytest.raises(ValueError):
        to_wgs84(*PEOPLES_SQUARE, "BD-09")


def test_distance_of_one_degree_along_a_meridian():
    # π/180 × mean Earth radius 6 371 008.8 m
    assert distance_m(121.0, 31.0, 121.0, 32.0) == pytest.approx(111195.08, abs=0.01)
    assert distance_m(121.0, 31.0, 121.0, 31.0) == 0.0


def test_distance_beijing_to_shanghai():
    # Tiananmen to People's Square: 1 067 km great circle.
    assert distance_m(116.3974, 39.9087, *PEOPLES_SQUARE) == pytest.approx(1_067_000, abs=2_000)


def test_distance_is_symmetric():
    a, b = (121.50, 31.20), (121.52, 31.25)
    assert distance_m(*a, *b) == pytest.approx(distance_m(*b, *a), rel=1e-12)


def test_a_gcj02_check_in_at_the_outlet_is_near_it_once_converted():
    # The phone stands 50 m east of the outlet and reports GCJ-02, as WeChat pages do.
    radius = CheckinRadius(radius_m=200)
    standing = (PEOPLES_SQUARE[0] + 50 / 95_000, PEOPLES_SQUARE[1])
    reported = wgs84_to_gcj02(*standing)
    naive = distance_m(*reported, *PEOPLES_SQUARE)
    converted = distance_m(*to_wgs84(*reported, "GCJ-02"), *PEOPLES_SQUARE)
    assert converted == pytest.approx(distance_m(*standing, *PEOPLES_SQUARE), abs=0.01)
    assert radius.check(converted, accuracy_m=30) is None
    assert radius.check(naive, accuracy_m=30) is not None     # unconverted, it would be flagged


def fix(minutes, lng, lat):
    return (T0 + timedelta(minutes=minutes), lng, lat)


def east_of(origin, metres):
    """A point `metres` due east of origin (good to a few metres over tens of km)."""
    lng, lat = origin
    return (lng + metres / distance_m(lng, lat, lng + 1.0, lat), lat)


def test_travel_speed():
    far = east_of(PEOPLES_SQUARE, 30_000)
    assert travel_speed_kmh(fix(0, *PEOPLES_SQUARE), fix(30, *far)) == pytest.approx(60.0, rel=0.01)
    assert travel_speed_kmh(fix(30, *far), fix(0, *PEOPLES_SQUARE)) == pytest.approx(60.0, rel=0.01)
    assert travel_speed_kmh(fix(5, *PEOPLES_SQUARE), fix(5, *far)) is None


def test_thirty_km_in_five_minutes_is_flagged_with_its_detail():
    rule = ImpossibleTravel(max_kmh=120, min_distance_m=1000)
    flag = rule.check(fix(0, *PEOPLES_SQUARE), fix(5, *east_of(PEOPLES_SQUARE, 30_000)))
    assert flag["distance_m"] == pytest.approx(30_000, abs=50)
    assert flag["minutes"] == 5
    assert flag["speed_kmh"] == pytest.approx(360, abs=1)
    assert flag["max_kmh"] == 120


def test_a_normal_drive_between_outlets_is_not_flagged():
    rule = ImpossibleTravel(max_kmh=120, min_distance_m=1000)
    assert rule.check(fix(0, *PEOPLES_SQUARE), fix(40, *east_of(PEOPLES_SQUARE, 30_000))) is None


def test_gps_jitter_at_one_site_is_not_flagged():
    # 600 m in 10 s would be 216 km/h, but a move that short is within a phone's GPS noise.
    rule = ImpossibleTravel(max_kmh=120, min_distance_m=1000)
    previous = fix(0, *PEOPLES_SQUARE)
    current = (previous[0] + timedelta(seconds=10), *east_of(PEOPLES_SQUARE, 600))
    assert rule.check(previous, current) is None


def test_far_apart_at_the_same_instant_is_flagged_without_a_speed():
    rule = ImpossibleTravel(max_kmh=120, min_distance_m=1000)
    flag = rule.check(fix(0, *PEOPLES_SQUARE), fix(0, *east_of(PEOPLES_SQUARE, 5_000)))
    assert flag["speed_kmh"] is None
    assert flag["minutes"] == 0
    assert flag["distance_m"] == pytest.approx(5_000, abs=10)


def test_the_speed_limit_is_configuration():
    previous, current = fix(0, *PEOPLES_SQUARE), fix(10, *east_of(PEOPLES_SQUARE, 30_000))  # 180 km/h
    assert ImpossibleTravel(max_kmh=120).check(previous, current) is not None
    assert ImpossibleTravel(max_kmh=200).check(previous, current) is None
    assert ImpossibleTravel(min_distance_m=50_000).check(previous, current) is None


def test_checkin_radius_flags_only_beyond_the_radius():
    rule = CheckinRadius(radius_m=500)
    assert rule.check(499.9, accuracy_m=20) is None
    assert rule.check(500.0, accuracy_m=20) is None
    assert rule.check(812.34, accuracy_m=65) == {"distance_m": 812.3, "radius_m": 500, "accuracy_m": 65.0}
    assert rule.check(812.34, None)["accuracy_m"] is None
    assert CheckinRadius(radius_m=1000).check(812.34, 65) is None
    assert CheckinRadius().radius_m == 500.0
