"""Coordinates of check-ins: GCJ-02 ⇄ WGS-84, distances, and the two location flags.

WeChat H5 pages (wx.getLocation type "gcj02") report GCJ-02, the obfuscated datum every map
published in mainland China uses; outlets and EXIF positions are WGS-84. Everything is compared in
WGS-84, so a GCJ-02 reading is converted first (the offset is 300–700 m in Shanghai: far more than
any check-in radius).

The forward transform is the published GCJ-02 algorithm (as in the eviltransform project); it has
no closed-form inverse, so the inverse iterates the forward transform to a fixed point.
"""
import math
from dataclasses import dataclass

# Krasovsky 1940 ellipsoid, which the GCJ-02 algorithm is defined on.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
# Mean Earth radius (IUGG) for the haversine distance.
_EARTH_RADIUS_M = 6371008.8

_INVERSE_TOLERANCE_DEG = 1e-7       # ~1 cm; stated by the issue
_INVERSE_MAX_ITERATIONS = 30        # converges in 2–4 steps inside China

WGS84 = "WGS-84"
GCJ02 = "GCJ-02"
CRS_NAMES = (WGS84, GCJ02)


def out_of_china(lng, lat):
    """The standard algorithm's bounding box: outside it GCJ-02 equals WGS-84 (no shift)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift(lng, lat):
    """The GCJ-02 offset (dlng, dlat) in degrees at the WGS-84 point (lng, lat)."""
    x, y = lng - 105.0, lat - 35.0
    periodic_x = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += periodic_x
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlng += periodic_x
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0

    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlng, dlat


def wgs84_to_gcj02(lng, lat):
    if out_of_china(lng, lat):
        return lng, lat
    dlng, dlat = _shift(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng, lat):
    """Exact inverse: find the WGS-84 point whose forward transform is (lng, lat)."""
    if out_of_china(lng, lat):
        return lng, lat
    w_lng, w_lat = lng, lat
    for _ in range(_INVERSE_MAX_ITERATIONS):
        g_lng, g_lat = wgs84_to_gcj02(w_lng, w_lat)
        err_lng, err_lat = g_lng - lng, g_lat - lat
        w_lng, w_lat = w_lng - err_lng, w_lat - err_lat
        if abs(err_lng) < _INVERSE_TOLERANCE_DEG and abs(err_lat) < _INVERSE_TOLERANCE_DEG:
            break
    return w_lng, w_lat


def to_wgs84(lng, lat, crs):
    """(lng, lat) reported in `crs` ("WGS-84" or "GCJ-02") as WGS-84."""
    if crs == WGS84:
        return lng, lat
    if crs == GCJ02:
        return gcj02_to_wgs84(lng, lat)
    raise ValueError(f"unknown coordinate reference system {crs!r}; expected one of {CRS_NAMES}")


def distance_m(lng1, lat1, lng2, lat2):
    """Great-circle (haversine) distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def travel_speed_kmh(a, b):
    """Speed between two fixes a, b = (datetime, lng, lat) in WGS-84; None when the times are equal."""
    (t1, lng1, lat1), (t2, lng2, lat2) = a, b
    seconds = abs((t2 - t1).total_seconds())
    if seconds == 0:
        return None
    return distance_m(lng1, lat1, lng2, lat2) / 1000.0 / (seconds / 3600.0)


# The [D] defaults of the check-in rules, written once (the service config may override each).
CHECKIN_RADIUS_M = 500.0
MAX_TRAVEL_KMH = 150.0
MIN_TRAVEL_M = 1000.0


@dataclass(frozen=True)
class ImpossibleTravel:
    """Two consecutive check-ins of one filer that no road trip could join.

    Defaults [D]: 150 km/h is faster than any drive between outlets in a city (expressway limit
    plus a margin for timestamps taken a little before or after the move);
    moves under 1 km are ignored, since two fixes a minute apart at one site differ by GPS noise
    and by the GCJ-02/WGS-84 conversion of cheap phones.
    """
    max_kmh: float = MAX_TRAVEL_KMH
    min_distance_m: float = MIN_TRAVEL_M

    def check(self, previous, current):
        """previous, current = (datetime, lng, lat) in WGS-84; the flag detail or None."""
        (t1, lng1, lat1), (t2, lng2, lat2) = previous, current
        meters = distance_m(lng1, lat1, lng2, lat2)
        if meters < self.min_distance_m:
            return None
        minutes = abs((t2 - t1).total_seconds()) / 60.0
        speed = travel_speed_kmh(previous, current)
        # Two places far apart at the same instant: infinitely fast, always flagged.
        if speed is not None and speed <= self.max_kmh:
            return None
        return {"distance_m": round(meters, 1), "minutes": round(minutes, 2),
                "speed_kmh": None if speed is None else round(speed, 1),
                "max_kmh": self.max_kmh}


@dataclass(frozen=True)
class CheckinRadius:
    """A check-in farther than radius_m from the outlet is accepted but flagged.

    Default [D] 500 m: an outlet's site (plant gate to stack or discharge point) plus phone GPS
    error. The reported accuracy is kept in the flag so a reviewer can tell a poor fix from a
    check-in made elsewhere; it does not move the threshold (a claimed accuracy is not evidence).
    """
    radius_m: float = CHECKIN_RADIUS_M

    def check(self, distance_m, accuracy_m=None):
        if distance_m <= self.radius_m:
            return None
        return {"distance_m": round(distance_m, 1), "radius_m": self.radius_m,
                "accuracy_m": None if accuracy_m is None else round(float(accuracy_m), 1)}
