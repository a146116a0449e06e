"""Through RabbitMQ: other services' facts published as events reach the credit service, its rules
raise warnings a regulator lists by RPC; the same facts published again raise nothing new; a sweep
started by RPC reports its progress and finds the same."""
import pytest
from nameko.rpc import rpc

from emss_common.errors import Forbidden
from services.credit.tests.findings import CITY, INSTITUTION, MINHANG, PUDONG
from services.credit.tests.rulefacts import iso
from tests.bus import EventFeed
from tests.waiting import eventually


@pytest.fixture
def credit_config(service_config, request):
    """The time-based rules and the sweeps poll quickly; reconciliation stays out of the way unless
    a test asks for it (indirect parameter {"reconcile": True}: a round every half second)."""
    reconcile = getattr(request, "param", {}).get("reconcile")
    return {**service_config, "EMSS_FROZEN_NOW": "2026-11-23T10:00:00+08:00", "EMSS_RULE_CHECK_SECONDS": "0.3",
            "EMSS_SWEEP_POLL_SECONDS": "0.2", "EMSS_RECONCILE_SECONDS": "0.5" if reconcile else "3600",
            "EMSS_RULE_VOID_RATE_MIN_RECORDS": "2"}


FILER = {"staff_id": "s1", "account_id": "a-zhao", "name": "赵强"}


def record(rid, form_kind, performed, **kw):
    out = {"id": rid, "number": f"YW{rid}", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1",
           "district": "浦东新区", "outlet_id": "o1", "outlet_kind": "flue_gas", "form_kind": form_kind,
           "performed_at": iso(performed), "performed_on": performed[:10], "submitted_at": iso(performed),
           "filer": FILER, "device_ids": ["d1"], "passed": True, "failures": [], "flags": [], "values": {},
           "computed": {}}
    out.update(kw)
    return out


TASK = {"id": "t1", "name": "浦东一厂运维", "status": "in_progress", "start": "2026-11-12", "end": "2027-11-01",
        "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区", "outlet_ids": ["o1"], "version": 1}
FAULT = {"fault_class": "simple", "fault_start": iso("2026-11-16T08:00"), "arrived_at": iso("2026-11-17T09:00"),
         "fault_end": iso("2026-11-17T10:00")}
OCCURRENCE = {"id": "occ1", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1", "outlet_id": "o1",
              "district": "浦东新区", "form_kind": "fg_inspection_extractive", "window_start": "2026-11-12",
              "window_end": "2026-11-15", "due_date": "2026-11-15", "source": "plan"}
OBLIGATION = {"id": "report:c1", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1", "outlet_id": "o1",
              "district": "浦东新区", "form_kind": "fg_periodic_check", "issued_on": "2026-11-04",
              "due_date": "2026-11-11"}
REPORT = {"id": "rep1", "number": "BG-1", "kind": "periodic_check", "task_id": "t1", "issued_on": "2026-11-04",
          "uploaded_at": iso("2026-11-20T09:00"), "obligation_id": "report:c1", "obligation_ids": ["report:c1"],
          "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区"}


def facts():
    """(source, type, subject, data) of one small story: a task, a missed window, a report missing
    and then uploaded late, a slow fault repair, a photo reused across records."""
    return [
        ("tasks", "task.changed", "t1", {"task": TASK}),
        ("fieldrecords", "record.submitted", "r1",
         {"record": record("r1", "fg_inspection_extractive", "2026-11-16T10:00", flags=["duplicate_photo"])}),
        ("fieldrecords", "record.submitted", "r2",
         {"record": record("r2", "fg_fault_repair", "2026-11-17T10:00", values=FAULT)}),
        ("fieldrecords", "record.submitted", "r3", {"record": record("r3", "fg_inspection_extractive",
                                                                     "2026-11-20T10:00")}),
        ("tasks", "occurrence.missed", "occ1", {"occurrence": OCCURRENCE}),
        ("tasks", "report.missing", "report:c1", {"report_obligation": OBLIGATION}),
        ("tasks", "report.uploaded", "rep1", {"report": REPORT}),
    ]


EXPECTED = {"OM_MISSED", "REPORT_LATE", "FAULT_SLOW", "INTEGRITY_DUPLICATE_PHOTO"}


def handlers_of(container):
    """How many handlers of the service take each (source, type)."""
    out = {}
    for e in container.entrypoints:
        if type(e).__name__ == "EventHandler":
            key = (e.source_service, e.event_type)
            out[key] = out.get(key, 0) + 1
    return out


def settled(container, db, sent):
    """Every handler has taken every sent event, and none is still at work."""
    want = handlers_of(container)
    expected = sum(want.get((e["source"], e["type"]), 0) for e in sent)

    def check():
        claimed = db["processed_events"].count_documents({"event_id": {"$in": [e["id"] for e in sent]}})
        assert claimed == expected, (claimed, expected)
        busy = [w for w in list(container._worker_threads) if type(w.entrypoint).__name__ == "EventHandler"]
        assert not busy
    eventually(check)


def publish(feed):
    return [feed.send(source, type_, subject, data) for source, type_, subject, data in facts()]


def listed(credit, actor, **query):
    return credit.list_warnings(actor.to_dict(), {"size": 200, **query})["items"]


def test_published_facts_raise_exactly_their_warnings_once_and_a_replay_raises_nothing(
        container, credit, credit_config, service_ctx, bus):
    feed = EventFeed(credit_config)
    sent = publish(feed)

    def raised():
        rules = {w["rule"] for w in listed(credit, CITY, status="open")}
        assert rules == EXPECTED, rules
        return listed(credit, CITY)
    first = eventually(raised)
    settled(container, service_ctx.db, sent)
    # the late report resolved "report missing" (if it was raised before the report came) and left "late"
    assert {w["rule"] for w in listed(credit, CITY)} - EXPECTED <= {"REPORT_MISSING"}
    missing = listed(credit, CITY, rule="REPORT_MISSING")
    assert all(w["status"] == "resolved" for w in missing)
    fault = next(w for w in first if w["rule"] == "FAULT_SLOW")
    assert fault["district"] == "浦东新区" and "到达现场用时25小时" in fault["summary"]
    photo = credit.get_warning(CITY.to_dict(), next(w["id"] for w in first if w["rule"] == "INTEGRITY_DUPLICATE_PHOTO"))
    assert [e["id"] for e in photo["evidence"]] == ["r1"] and photo["evidence"][0]["link"] == "/records/r1"
    # the regulator of another district sees none of them; the institution its own
    assert listed(credit, MINHANG) == [] and len(listed(credit, PUDONG)) == len(first)
    assert {w["id"] for w in listed(credit, INSTITUTION)} == {w["id"] for w in first}
    raised_events = len(bus.of("warning.raised"))
    snapshot = {(w["id"], w["status"]) for w in listed(credit, CITY)}

    # the same facts again, as a redelivery would bring them with new event ids
    again = publish(feed)
    settled(container, service_ctx.db, again)
    assert {(w["id"], w["status"]) for w in listed(credit, CITY)} == snapshot
    assert len(bus.of("warning.raised")) == raised_events
    assert {w["rule"] for w in listed(credit, CITY, status="open")} == EXPECTED


def test_the_rules_and_a_sweep_by_rpc(container, credit, credit_config, service_ctx):
    rules = credit.list_rules(CITY.to_dict())
    late = next(r for r in rules if r["code"] == "REPORT_LATE")
    assert late["limits"]["REPORT_UPLOAD_WORKING_DAYS"]["value"] == 5 and late["name"] == "报告逾期上传"
    sent = publish(EventFeed(credit_config))
    settled(container, service_ctx.db, sent)
    before = {(w["id"], w["status"]) for w in listed(credit, CITY)}
    with pytest.raises(Forbidden):
        credit.start_sweep(INSTITUTION.to_dict(), {"start": "2026-11-01", "end": "2026-11-30"})
    job = credit.start_sweep(CITY.to_dict(), {"start": "2026-11-01", "end": "2026-11-30"})
    assert job["status"] == "queued" and job["total"] >= 6

    def finished():
        status = credit.sweep_status(CITY.to_dict(), job["id"])
        assert status["status"] == "done", status
        return status
    status = eventually(finished)
    assert status["done"] == status["total"] and status["raised"] == 0
    assert {(w["id"], w["status"]) for w in listed(credit, CITY)} == before


# ----- reconciliation: facts published before credit (or its queues) existed -----

def _page(items):
    return {"items": [{"at": at, "fact": fact} for at, fact in items], "next": None}


class FakeFieldrecords:
    """fieldrecords' export as its ExportsFacts serves it."""
    name = "fieldrecords"

    @rpc
    def export_facts(self, collection, after=None, limit=200):
        r2 = record("r2", "fg_fault_repair", "2026-11-17T10:00", values=FAULT)
        r3 = record("r3", "fg_inspection_extractive", "2026-11-20T10:00")
        return _page([(r2["submitted_at"], r2), (r3["submitted_at"], r3)] if collection == "records" else [])


class FakeConfirmation:
    name = "confirmation"

    @rpc
    def export_facts(self, collection, after=None, limit=200):
        voided = {**record("r3", "fg_inspection_extractive", "2026-11-20T10:00"), "status": "voided",
                  "overdue": False}
        return _page([(iso("2026-11-21T09:00"), voided)])


class FakeTasks:
    """tasks' exports: tasks, and the outcomes of obligations as they were decided."""
    name = "tasks"

    @rpc
    def export_facts(self, collection, after=None, limit=200):
        if collection == "tasks":
            return _page([(iso("2026-11-12T08:00"), TASK)])
        outcome = {"id": "occ1", "type": "occurrence.missed", "subject": "occ1",
                   "decided_at": iso("2026-11-16T01:00"), "occurrence": OCCURRENCE}
        return _page([(outcome["decided_at"], outcome)])


@pytest.mark.parametrize("credit_config", [{"reconcile": True}], indirect=True)
def test_facts_never_published_to_credit_arrive_by_reconciliation(container_factory, credit_config, credit):
    for fake in (FakeFieldrecords, FakeConfirmation, FakeTasks):
        container_factory(fake, credit_config).start()

    def found():
        rules = {w["rule"] for w in listed(credit, CITY, status="open")}
        assert rules == {"OM_MISSED", "FAULT_SLOW", "VOID_RATE"}, rules
    eventually(found)
