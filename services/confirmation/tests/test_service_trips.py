"""Through RabbitMQ: departed sampling trips from fieldrecords await their enterprise's confirmation
(unless the enterprise monitors itself); the confirmation is signed, kept in the trail and announced."""
import pytest

from emss_common.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from services.confirmation.tests.facts import ENTERPRISE, ORIGIN, OTHER_ENTERPRISE, REVIEWER, act, b64, trip_fact
from tests.images import no_face_jpeg
from tests.waiting import eventually

WU = {"account_id": "a-wu", "username": "wugang", "roles": ["field_staff"], "institution_id": "i9", "staff_id": "s-wu"}


def departed(feed, confirmation, fact):
    feed.send("fieldrecords", "sampling_trip.departed", fact["id"], {"trip": fact})

    def arrived():
        return confirmation.get_trip(ENTERPRISE, fact["id"])
    return eventually(lambda: _found(arrived))


def _found(call):
    try:
        return call()
    except NotFound:
        raise AssertionError("not yet") from None


def test_the_enterprise_confirms_a_departed_trip_once(feed, confirmation, bus):
    trip = departed(feed, confirmation, trip_fact("trip1"))
    assert trip["status"] == "awaiting_confirmation" and trip["status_label"] == "待排污单位确认"
    assert [(t["action"], t["to"]) for t in trip["trail"]] == [("depart", "awaiting_confirmation")]
    listed = confirmation.list_trips(ENTERPRISE, {"status": "awaiting_confirmation"})
    assert [t["id"] for t in listed["items"]] == ["trip1"] and listed["items"][0]["samples"] == 2
    assert confirmation.list_trips(OTHER_ENTERPRISE)["items"] == []
    assert confirmation.list_trips(OTHER_ENTERPRISE, {"enterprise_id": "e1"})["items"] == []

    with pytest.raises(NotFound):
        confirmation.confirm_trip(OTHER_ENTERPRISE, "trip1", act())
    with pytest.raises(Forbidden):
        confirmation.confirm_trip(WU, "trip1", act())           # the team may see it, not confirm it
    with pytest.raises(ValidationFailed) as exc:
        confirmation.confirm_trip(ENTERPRISE, "trip1", act(photo={"content_base64": b64(no_face_jpeg())}))
    assert exc.value.field == "photo"
    assert confirmation.get_trip(ENTERPRISE, "trip1")["status"] == "awaiting_confirmation"

    done = confirmation.confirm_trip(ENTERPRISE, "trip1", act(submission_id="trip-confirm-01", note="采样过程属实"))
    assert done["status"] == "confirmed" and done["status_label"] == "排污单位已确认"
    assert done["confirmation"]["by"]["account_id"] == "a-ent" and done["confirmation"]["note"] == "采样过程属实"
    assert confirmation.confirm_trip(ENTERPRISE, "trip1", act(submission_id="trip-confirm-01")) == done
    with pytest.raises(InvalidTransition):
        confirmation.confirm_trip(ENTERPRISE, "trip1", act())
    event = bus.wait_for("sampling_trip.confirmed", "trip1")
    assert event["data"]["trip"]["id"] == "trip1" and event["data"]["trip"]["sampling_task_id"] == "st1"
    assert len(bus.of("sampling_trip.confirmed")) == 1

    trail = confirmation.get_trip(ENTERPRISE, "trip1")["trail"]
    assert [(t["from"], t["to"]) for t in trail] == [(None, "awaiting_confirmation"),
                                                     ("awaiting_confirmation", "confirmed")]
    assert trail[1]["origin"] == ORIGIN and trail[1]["photo_file_id"] and trail[1]["signature_file_id"]
    signature = confirmation.act_file(ENTERPRISE, trail[1]["act_id"], "signature")
    assert signature["content_type"] == "image/png"


def test_a_self_monitoring_enterprises_trip_needs_no_confirmation(feed, confirmation, bus):
    trip = departed(feed, confirmation, trip_fact("trip2", self_monitoring=True))
    assert trip["status"] == "not_required" and "自主开展自行监测" in trip["status_label"]
    with pytest.raises(InvalidTransition) as exc:
        confirmation.confirm_trip(ENTERPRISE, "trip2", act())
    assert exc.value.field == "status"
    assert confirmation.list_trips(REVIEWER)["items"] == []          # another institution's trip
    assert bus.of("sampling_trip.confirmed") == []
