"""Through RabbitMQ: the tasks service keeps its registry copy from events (idempotent, newest
version wins), counts submitted field records against the plan, and follows sampling trips."""
import pytest

from emss_common.errors import NotFound, ValidationFailed
from tests.waiting import eventually

INST = {"id": "i1", "name": "上海清源环境运维有限公司", "type": "testing_om", "district": "浦东新区",
        "status": "published", "self_operating": False, "valid_until": "2029-11-23", "version": 7,
        "staff": [{"id": "s1", "name": "赵强", "technical_role": "om_staff", "resigned": False,
                   "certificate": {"valid_until": "2028-12-31"}}],
        "equipment": [{"id": "q1", "name": "便携式烟气分析仪"}]}
ENT = {"id": "e1", "name": "上海东方化工有限公司", "district": "浦东新区", "version": 1}
OUTLET = {"id": "o1", "enterprise_id": "e1", "kind": "flue_gas", "name": "1#锅炉排口", "version": 1}
DEVICE = {"id": "d1", "enterprise_id": "e1", "outlet_id": "o1", "kind": "cems", "version": 1}
ADMIN = {"account_id": "a1", "username": "om_admin", "roles": ["institution_admin"], "institution_id": "i1"}


def seed(feed):
    feed.send("registry", "institution.published", "i1", {"institution": INST})
    feed.send("registry", "enterprise.registered", "e1", {"enterprise": ENT})
    feed.send("registry", "outlet.added", "o1", {"outlet": OUTLET})
    feed.send("registry", "device.registered", "d1", {"device": DEVICE})


def contract(tasks, nature="om"):
    body = {"title": "运维合同", "nature": nature, "enterprise_id": "e1", "amount": "1000.00",
            "start": "2026-12-01", "end": "2027-11-30"}
    c = eventually(lambda: _ok(lambda: tasks.create_contract(ADMIN, body)))
    return eventually(lambda: _ok(lambda: tasks.submit_contract(ADMIN, c["id"])))


def _ok(call):
    """The call, once the copies it needs have arrived: until the registry's events are handled
    the tasks service answers "not found / not yet synced" or refuses the state; both mean "not yet"."""
    try:
        return call()
    except (ValidationFailed, NotFound) as exc:
        raise AssertionError(exc.message) from None


def test_an_older_institution_event_arriving_late_does_not_overwrite_the_newer_copy(tasks, feed):
    seed(feed)
    stale = {**INST, "status": "second_submitted", "version": 5}
    feed.send("registry", "institution.second_submitted", "i1", {"institution": stale})
    c = contract(tasks)   # would fail if the stale copy had won: the institution must be approved
    assert c["status"] == "submitted"


def test_a_redelivered_event_is_handled_once(tasks, feed):
    seed(feed)
    c = contract(tasks)
    task = tasks.create_task(ADMIN, {"name": "运维", "enterprise_id": "e1", "contract_id": c["id"],
                                     "start": "2026-12-01", "end": "2027-11-30", "outlet_ids": ["o1"],
                                     "staff_ids": ["s1"], "device_ids": ["d1"],
                                     "plan": [{"outlet_id": "o1", "form_kind": "fg_inspection_extractive",
                                               "frequency": {"kind": "weekly"}}]})
    record = {"id": "r1", "task_id": task["id"], "outlet_id": "o1", "form_kind": "fg_inspection_extractive",
              "performed_at": "2026-12-02T09:30:00+08:00"}
    event = feed.send("fieldrecords", "record.submitted", "r1", {"record": record})
    feed.send("fieldrecords", "record.submitted", "r1", {"record": record}, event=event)

    def first_week_done():
        rows = tasks.task_occurrences(ADMIN, task["id"], {"start": "2026-12-01", "end": "2026-12-06"})
        assert rows[0]["status"] == "done" and rows[0]["performed_on"] == ["2026-12-02"]
        return rows
    eventually(first_week_done)
    feed.send("confirmation", "record.voided", "r1", {"reason": "签到位置与排口不符"})

    def undone():
        rows = tasks.task_occurrences(ADMIN, task["id"], {"start": "2026-12-01", "end": "2026-12-06"})
        assert rows[0]["status"] == "pending"
    eventually(undone)


def test_a_sampling_task_moves_through_its_six_stages(tasks, feed):
    seed(feed)
    c = contract(tasks, nature="monitoring")
    with pytest.raises(ValidationFailed) as exc:
        tasks.commission_sampling(ADMIN, {"title": "2026年第四季度自行监测", "enterprise_id": "e1"})
    assert exc.value.field == "contract_id"
    t = tasks.commission_sampling(ADMIN, {"title": "2026年第四季度自行监测", "enterprise_id": "e1",
                                          "contract_id": c["id"]})
    assert t["stage"] == "commission"
    t = tasks.advance_sampling(ADMIN, t["id"])
    with pytest.raises(ValidationFailed) as exc:
        tasks.advance_sampling(ADMIN, t["id"])
    assert exc.value.field == "scheme.points"
    with pytest.raises(ValidationFailed) as exc:
        tasks.set_sampling_scheme(ADMIN, t["id"], {"points": [{"new_point": {
            "name": "新增废气点", "kind": "flue_gas", "longitude": 121.5, "latitude": 31.2},
            "items": [{"factor": "二氧化硫", "method": "HJ 57-2017", "frequency": "每季度1次"}]}]})
    assert exc.value.field == "points[0].new_point"   # the directory already has a flue-gas outlet
    tasks.set_sampling_scheme(ADMIN, t["id"], {"points": [{"outlet_id": "o1", "items": [
        {"factor": "二氧化硫", "method": "HJ 57-2017", "frequency": "每季度1次"}]}]})
    t = tasks.advance_sampling(ADMIN, t["id"])
    tasks.set_sampling_plan(ADMIN, t["id"], {"dates": ["2026-11-25"], "staff_ids": ["s1"], "equipment_ids": ["q1"]})
    t = tasks.advance_sampling(ADMIN, t["id"])
    assert t["stage"] == "sampling"
    feed.send("fieldrecords", "sampling_trip.departed", "trip1", {"trip": {"id": "trip1", "sampling_task_id": t["id"]}})
    t = eventually(lambda: _ok(lambda: tasks.advance_sampling(ADMIN, t["id"])))
    assert t["stage"] == "management"
    with pytest.raises(ValidationFailed) as exc:
        tasks.advance_sampling(ADMIN, t["id"])
    assert "未经排污单位确认" in exc.value.message
    feed.send("confirmation", "sampling_trip.confirmed", "trip1", {"trip": {"id": "trip1", "sampling_task_id": t["id"]}})
    t = eventually(lambda: _ok(lambda: tasks.advance_sampling(ADMIN, t["id"])))
    assert t["stage"] == "report" and t["report_number"] == "EMSS-ZX-2026-000001"
