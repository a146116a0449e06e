"""Check-ins (打卡签到) and the flags they raise. A flag never refuses a filing: the work may be
real and the phone wrong, so it is accepted and put in front of the reviewer and the regulator."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from emss_common.vocabulary import CHECKIN_FLAGS

from .geo import CHECKIN_RADIUS_M, MAX_TRAVEL_KMH, MIN_TRAVEL_M, CheckinRadius, ImpossibleTravel, distance_m, to_wgs84

FLAG_LABELS = CHECKIN_FLAGS


@dataclass(frozen=True)
class CheckinPolicy:
    """Configurable thresholds ([D] defaults, see DOMAIN.md and the service config)."""
    radius_m: float = CHECKIN_RADIUS_M
    max_speed_kmh: float = MAX_TRAVEL_KMH
    min_travel_m: float = MIN_TRAVEL_M
    photo_time_tolerance: timedelta = timedelta(hours=2)
    max_visit: timedelta = timedelta(hours=12)

    def radius(self):
        return CheckinRadius(self.radius_m)

    def travel(self):
        return ImpossibleTravel(self.max_speed_kmh, self.min_travel_m)

    def visit_flag(self, checked_in, checked_out):
        """A visit is one stay at the outlet: a draft checked out long after its check-in was not
        filled on site, whatever the form says."""
        hours = (checked_out - checked_in).total_seconds() / 3600
        if hours <= self.max_visit.total_seconds() / 3600:
            return None
        return flag("long_visit", hours=round(hours, 1), max_hours=self.max_visit.total_seconds() / 3600)


def flag(code, **detail):
    return {"code": code, "label": FLAG_LABELS[code], **detail}


def check_in(policy, at: datetime, lng, lat, accuracy, outlet, previous=None, stage="start", crs="GCJ-02"):
    """A check-in as stored: the phone's position (GCJ-02 from WeChat) converted to WGS-84, the
    distance from the outlet (converted from its own datum), and its flags. `previous` is the
    filer's last check-in anywhere (at, wgs84 lng, wgs84 lat)."""
    w_lng, w_lat = to_wgs84(lng, lat, crs)
    o_lng, o_lat = to_wgs84(outlet["longitude"], outlet["latitude"], outlet.get("crs") or "WGS-84")
    distance = distance_m(w_lng, w_lat, o_lng, o_lat)
    flags = []
    far = policy.radius().check(distance, accuracy)
    if far:
        flags.append(flag("far_from_outlet", stage=stage, **far))
    if previous is not None:
        fast = policy.travel().check(previous, (at, w_lng, w_lat))
        if fast:
            flags.append(flag("impossible_speed", stage=stage, **fast))
    return {"at": at, "stage": stage, "reported": {"lng": lng, "lat": lat, "crs": crs}, "accuracy_m": accuracy,
            "wgs84": {"lng": w_lng, "lat": w_lat}, "distance_m": round(distance, 1), "flags": flags}


def photo_flags(policy, facts, outlet, checked_in_at):
    """What a photo's EXIF says against the check-in: taken far away, or at another time."""
    flags = []
    if facts.gps is not None:
        o_lng, o_lat = to_wgs84(outlet["longitude"], outlet["latitude"], outlet.get("crs") or "WGS-84")
        d = distance_m(facts.gps[0], facts.gps[1], o_lng, o_lat)
        if d > policy.radius_m:
            flags.append(flag("photo_far_from_outlet", distance_m=round(d, 1), radius_m=policy.radius_m))
    if facts.taken_at is not None and checked_in_at is not None:
        gap = abs(facts.taken_at - checked_in_at)
        if gap > policy.photo_time_tolerance:
            flags.append(flag("photo_time_mismatch", taken_at=facts.taken_at.isoformat(),
                              minutes=round(gap.total_seconds() / 60)))
    return flags
