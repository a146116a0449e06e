"""Enterprise confirmation of a sampling trip (seed 002 §1.2, §3.2.4–3.2.5): after the team's
离场签到 the trip goes to the enterprise, which confirms what was sampled; an enterprise that
monitors itself (自主开展自行监测) has no confirmation step. Only that enterprise confirms, once."""
from enum import Enum

from emss_common.actor import ENTERPRISE_USER, Actor
from emss_common.errors import Forbidden, InvalidTransition
from emss_common.vocabulary import TRIP_STATUSES

from .records import Transition, is_filer


class TripStatus(str, Enum):
    AWAITING = "awaiting_confirmation"
    CONFIRMED = "confirmed"
    NOT_REQUIRED = "not_required"


STATUS_LABELS = TRIP_STATUSES
ACTION_LABELS = {"depart": "离场签到", "trip_confirm": "排污单位确认"}


def initial_status(trip: dict) -> TripStatus:
    return TripStatus.NOT_REQUIRED if trip.get("self_monitoring") else TripStatus.AWAITING


def judge_trip_confirmation(actor: Actor, trip: dict) -> Transition:
    if not actor.has(ENTERPRISE_USER) or actor.enterprise_id != trip.get("enterprise_id"):
        raise Forbidden("只有被采样的排污单位可以确认采样行程")
    if is_filer(actor, {"filer": trip.get("leader")}):
        raise Forbidden("采样人员不能确认自己的采样行程")
    status = TripStatus(trip["status"])
    if status == TripStatus.NOT_REQUIRED:
        raise InvalidTransition("自主开展自行监测的采样无需排污单位确认", field="status")
    if status == TripStatus.CONFIRMED:
        raise InvalidTransition("该采样行程已经确认", field="status")
    return Transition("trip_confirm", status.value, TripStatus.CONFIRMED.value)
