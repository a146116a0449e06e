"""Through RabbitMQ: records arrive from fieldrecords' events, the enterprise confirms its day with a
signature and a face photo, reviewers confirm or void, records left unconfirmed become overdue at
midnight Shanghai time; every change is in the trail and on the bus."""
import pytest

from emss_common.errors import Forbidden, NotFound, ValidationFailed
from services.confirmation.tests.facts import (COLLEAGUE, ENTERPRISE, FILER_REVIEWER, ORIGIN, OTHER_ENTERPRISE,
                                               REVIEWER, act, b64, record_fact)
from tests.images import no_face_jpeg, pdf_bytes
from tests.waiting import eventually


def submitted(feed, confirmation, *facts):
    for f in facts:
        feed.send("fieldrecords", "record.submitted", f["id"], {"record": f})

    def arrived():
        listed = confirmation.list_records(REVIEWER, {"size": 200})
        assert {f["id"] for f in facts} <= {r["id"] for r in listed["items"]}, listed
    eventually(arrived)


def test_a_submitted_record_joins_its_enterprises_day_once(feed, confirmation):
    fact = record_fact("r1", "YW2026000001")
    event = feed.send("fieldrecords", "record.submitted", "r1", {"record": fact})
    feed.send("fieldrecords", "record.submitted", "r1", {"record": fact}, event=event)     # redelivered
    feed.send("fieldrecords", "record.submitted", "r1", {"record": fact})                   # published twice
    submitted(feed, confirmation, record_fact("r2", "YW2026000002", submitted_at="2026-11-22T23:30:00+08:00"))

    days = confirmation.confirmation_days(ENTERPRISE)
    assert [(d["day"], d["total"], d["awaiting"]) for d in days["days"]] == [("2026-11-23", 1, 1),
                                                                          ("2026-11-22", 1, 1)]
    today = days["days"][0]
    assert today["counts"]["pending"] == 1 and today["is_today"] and not today["deadline_passed"]
    assert today["due_at"] == "2026-11-24T00:00:00+08:00"
    assert {c["label"] for c in today["counts_labelled"]} >= {"待确认", "逾期未确认", "作废"}
    assert confirmation.confirmation_days(OTHER_ENTERPRISE)["days"] == []
    # naming another enterprise narrows the scope, never widens it
    assert confirmation.confirmation_days(OTHER_ENTERPRISE, {"enterprise_id": "e1"})["days"] == []
    assert confirmation.list_records(OTHER_ENTERPRISE, {"enterprise_id": "e1"})["total"] == 0
    assert confirmation.day_records(OTHER_ENTERPRISE, "2026-11-23", {"enterprise_id": "e1"})["items"] == []
    assert confirmation.list_records(REVIEWER, {"enterprise_id": "e1"})["total"] == 2

    listed = confirmation.day_records(ENTERPRISE, "2026-11-23")
    assert [r["number"] for r in listed["items"]] == ["YW2026000001"]
    row = listed["items"][0]
    assert row["status_label"] == "待确认" and row["coordinates"]["longitude"] == 121.5453
    assert row["device_names"] == ["COD在线分析仪"] and row["filer"]["name"] == "赵强"
    assert row["detail_path"] == "/api/v1/field-records/r1"
    detail = confirmation.get_record(ENTERPRISE, "r1")
    assert [(t["action"], t["to"]) for t in detail["trail"]] == [("submit", "pending")]
    assert detail["trail"][0]["by"]["account_id"] == "a-zhao"
    with pytest.raises(NotFound):
        confirmation.get_record(OTHER_ENTERPRISE, "r1")
    with pytest.raises(ValidationFailed) as exc:
        confirmation.day_records(ENTERPRISE, "2026-13-01")
    assert exc.value.field == "day"


def test_the_enterprise_confirms_its_day_and_a_second_person_reviews(feed, confirmation, bus):
    submitted(feed, confirmation, record_fact("r1", "YW2026000001"), record_fact("r2", "YW2026000002"),
              record_fact("r3", "YW2026000003", filer=COLLEAGUE),
              record_fact("x1", "YW2026000009", enterprise_id="e2"))

    # review before the enterprise confirmed: refused, record by record
    out = confirmation.review(REVIEWER, act(record_ids=["r1"], decision="confirm"))
    assert out["done"] == [] and [(r["record_id"], r["field"], r["code"]) for r in out["refused"]] == [
        ("r1", "status", "not_confirmed")]
    assert "排污单位尚未确认" in out["refused"][0]["message"]

    # another enterprise cannot confirm, not even by naming the ids
    out = confirmation.confirm_day(OTHER_ENTERPRISE, "2026-11-23", act(record_ids=["r1"]))
    assert out["confirmed"] == [] and out["refused"][0]["code"] == "not_found"
    with pytest.raises(ValidationFailed) as exc:          # and it has nothing of its own that day
        confirmation.confirm_day(OTHER_ENTERPRISE, "2026-11-22", act())
    assert exc.value.field == "record_ids"
    with pytest.raises(Forbidden):
        confirmation.confirm_day(REVIEWER, "2026-11-23", act())

    # photo without a face, signature that is no image: refused naming the field, nothing changes
    with pytest.raises(ValidationFailed) as exc:
        confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(photo={"content_base64": b64(no_face_jpeg())}))
    assert exc.value.field == "photo" and "人脸" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(signature={"content_base64": b64(pdf_bytes())}))
    assert exc.value.field == "signature"
    assert confirmation.day_records(ENTERPRISE, "2026-11-23")["counts"]["pending"] == 3

    # the whole day (its own records only), retried with the same submission id: one act
    out = confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(submission_id="confirm-day-0001"))
    assert [c["record_id"] for c in out["confirmed"]] == ["r1", "r2", "r3"] and out["refused"] == []
    assert all(c["status"] == "enterprise_confirmed" and c["late"] is False for c in out["confirmed"])
    assert confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(submission_id="confirm-day-0001")) == out
    again = confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(record_ids=["r1"]))
    assert again["refused"][0]["code"] == "already_confirmed"
    for rid in ("r1", "r2", "r3"):
        event = bus.wait_for("record.enterprise_confirmed", rid)
        assert event["data"]["record"]["status"] == "enterprise_confirmed" and event["data"]["record"]["late"] is False
        assert event["actor"]["account_id"] == "a-ent" and event["data"]["act"]["id"] == out["act_id"]
    assert len(bus.of("record.enterprise_confirmed")) == 3

    # 赵强 reviews: his own two are refused one by one, 周杰's goes through
    with pytest.raises(ValidationFailed) as exc:
        confirmation.review(FILER_REVIEWER, act(record_ids=["r1"], decision="void", reason="  "))
    assert exc.value.field == "reason"
    out = confirmation.review(FILER_REVIEWER, act(record_ids=["r1", "r3", "r2"], decision="confirm"))
    assert [d["record_id"] for d in out["done"]] == ["r3"] and out["done"][0]["status_label"] == "审核确认"
    assert [(r["record_id"], r["code"]) for r in out["refused"]] == [("r1", "own_record"), ("r2", "own_record")]
    bus.wait_for("record.review_confirmed", "r3")

    # 钱伟 voids one with a reason and confirms the other
    out = confirmation.review(REVIEWER, act(record_ids=["r1"], decision="void", reason="签到位置与排口不符"))
    assert [d["status"] for d in out["done"]] == ["voided"]
    voided = bus.wait_for("record.voided", "r1")
    assert voided["data"]["record"]["reason"] == "签到位置与排口不符" and voided["data"]["record"]["id"] == "r1"
    assert confirmation.review(REVIEWER, act(record_ids=["r2", "r1"], decision="confirm"))["refused"][0] == {
        "record_id": "r1", "number": "YW2026000001", "field": "status", "code": "already_reviewed",
        "message": "该记录已作废，不能重复审核"}

    # a voided record stays visible with its reason and the whole trail
    detail = confirmation.get_record(ENTERPRISE, "r1")
    assert detail["status"] == "voided" and detail["review"]["reason"] == "签到位置与排口不符"
    assert detail["review"]["decision_label"] == "作废"
    trail = detail["trail"]
    assert [(t["from"], t["to"]) for t in trail] == [(None, "pending"), ("pending", "enterprise_confirmed"),
                                                     ("enterprise_confirmed", "voided")]
    confirmed, void = trail[1], trail[2]
    assert confirmed["by"]["account_id"] == "a-ent" and confirmed["origin"] == ORIGIN
    assert confirmed["signature_file_id"] and confirmed["photo_file_id"] and confirmed["act_id"] == detail[
        "enterprise_confirmation"]["act_id"]
    assert void["by"]["name"] == "钱伟" and void["reason"] == "签到位置与排口不符" and void["to_label"] == "作废"
    assert [a["kind"] for a in detail["acts"]] == ["enterprise_confirmation", "void"]
    assert detail["acts"][0]["photo"]["faces"] >= 1
    photo = confirmation.act_file(ENTERPRISE, confirmed["act_id"], "photo")
    assert photo["content_type"] == "image/jpeg"
    with pytest.raises(NotFound):
        confirmation.act_file(OTHER_ENTERPRISE, confirmed["act_id"], "photo")
    statuses = {r["id"]: r["status"] for r in confirmation.list_records(REVIEWER)["items"]}
    assert statuses == {"r1": "voided", "r2": "reviewed", "r3": "reviewed", "x1": "pending"}
    assert confirmation.list_records(REVIEWER, {"status": "voided"})["total"] == 1


def test_a_days_unconfirmed_records_become_overdue_at_midnight_and_may_be_confirmed_late(
        feed, confirmation, bus, clock):
    submitted(feed, confirmation, record_fact("r1", "YW2026000001"), record_fact("r2", "YW2026000002"),
              record_fact("r3", "YW2026000003", submitted_at="2026-11-23T08:00:00+08:00"))
    confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(record_ids=["r3"]))
    clock.set("2026-11-23T23:59:50+08:00")
    assert confirmation.list_records(ENTERPRISE, {"status": "overdue"})["total"] == 0

    clock.set("2026-11-24T00:00:30+08:00")
    for rid in ("r1", "r2"):
        event = bus.wait_for("record.confirmation_overdue", rid)
        assert event["data"]["record"]["status"] == "overdue" and event["data"]["record"]["day"] == "2026-11-23"
        assert event["actor"]["username"] == "system"
    eventually(lambda: _assert(confirmation.list_records(ENTERPRISE, {"status": "overdue"})["total"] == 2))
    day = confirmation.confirmation_days(ENTERPRISE)["days"][0]
    assert day["day"] == "2026-11-23" and day["deadline_passed"] and day["counts"]["overdue"] == 2

    # the sweep keeps running: a record of that day arriving late is announced, the others not again
    clock.set("2026-11-24T00:05:00+08:00")
    submitted(feed, confirmation, record_fact("r4", "YW2026000004", submitted_at="2026-11-23T23:58:00+08:00"))
    bus.wait_for("record.confirmation_overdue", "r4")
    assert sorted(e["subject"] for e in bus.of("record.confirmation_overdue")) == ["r1", "r2", "r4"]
    assert "r3" not in {e["subject"] for e in bus.of("record.confirmation_overdue")}

    # confirmed late: it goes through, and stays marked overdue and late
    out = confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(record_ids=["r1"]))
    assert out["confirmed"] == [{"record_id": "r1", "number": "YW2026000001", "status": "enterprise_confirmed",
                                 "status_label": "排污单位已确认", "late": True}]
    event = bus.wait_for("record.enterprise_confirmed", "r1")
    assert event["data"]["record"]["late"] is True and event["data"]["record"]["overdue"] is True
    detail = confirmation.get_record(ENTERPRISE, "r1")
    assert detail["overdue"] is True and detail["late"] is True and detail["overdue_at"]
    assert [(t["from"], t["to"], t.get("late")) for t in detail["trail"]][1:] == [
        ("pending", "overdue", None), ("overdue", "enterprise_confirmed", True)]
    assert confirmation.list_records(REVIEWER, {"late": "true"})["total"] == 1


@pytest.mark.parametrize("conf_config", [{"sweep": 3600}], indirect=True)
def test_a_record_confirmed_after_midnight_before_the_sweep_is_announced_overdue_first(
        feed, bus, clock, confirmation):
    submitted(feed, confirmation, record_fact("r1", "YW2026000001"))
    clock.set("2026-11-24T00:00:05+08:00")       # the sweep has not run since midnight
    assert confirmation.get_record(ENTERPRISE, "r1")["status"] == "pending"
    out = confirmation.confirm_day(ENTERPRISE, "2026-11-23", act())
    assert out["confirmed"][0]["late"] is True
    bus.wait_for("record.enterprise_confirmed", "r1")
    assert bus.types("r1") == ["record.confirmation_overdue", "record.enterprise_confirmed"]
    overdue, confirmed = bus.of("record.confirmation_overdue", "r1")[0], bus.of("record.enterprise_confirmed", "r1")[0]
    assert overdue["data"]["record"]["status"] == "overdue"
    assert confirmed["data"]["record"]["late"] is True and confirmed["data"]["record"]["overdue"] is True


def _assert(ok):
    assert ok
