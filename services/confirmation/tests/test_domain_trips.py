"""Sampling trip confirmation rules (seed 002)."""
import pytest

from emss_common.actor import Actor
from emss_common.errors import Forbidden, InvalidTransition
from confirmation.domain.trips import TripStatus, initial_status, judge_trip_confirmation

ENTERPRISE = Actor("a-ent", "dongfang", frozenset({"enterprise_user"}), enterprise_id="e1")


def trip(status="awaiting_confirmation", **kw):
    return {"id": "t1", "enterprise_id": "e1", "status": status,
            "leader": {"account_id": "a-wu", "staff_id": "s-wu"}, **kw}


def test_a_self_monitoring_enterprises_trip_needs_no_confirmation():
    assert initial_status({"self_monitoring": True}) == TripStatus.NOT_REQUIRED
    assert initial_status({"self_monitoring": False}) == TripStatus.AWAITING
    with pytest.raises(InvalidTransition) as exc:
        judge_trip_confirmation(ENTERPRISE, trip("not_required"))
    assert "自主开展自行监测" in exc.value.message


def test_only_the_sampled_enterprise_confirms_once():
    t = judge_trip_confirmation(ENTERPRISE, trip())
    assert (t.action, t.source, t.target) == ("trip_confirm", "awaiting_confirmation", "confirmed")
    with pytest.raises(Forbidden):
        judge_trip_confirmation(Actor("a-2", "x", frozenset({"enterprise_user"}), enterprise_id="e2"), trip())
    with pytest.raises(Forbidden):
        judge_trip_confirmation(Actor("a-wu", "wu", frozenset({"field_staff"}), institution_id="i1",
                                      staff_id="s-wu"), trip())
    with pytest.raises(InvalidTransition):
        judge_trip_confirmation(ENTERPRISE, trip("confirmed"))
