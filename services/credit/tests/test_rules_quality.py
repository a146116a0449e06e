"""The 好不好 rules as they state themselves, each at its boundary (the hour or the count on each side)."""
from credit.supervision.limits import Limits
from credit.supervision.rules.catalogue import BY_CODE
from services.credit.tests.rulefacts import at, iso, record

LIMITS = Limits({})


def judge(code, facts, now="2026-12-01T10:00", limits=LIMITS):
    return BY_CODE[code].judge(facts, limits, at(now))


def fault(fault_class="simple", start="2026-11-02T08:00", arrived="2026-11-03T08:00", end="2026-11-03T10:00",
          backup=None, form_kind="fg_fault_repair", computed=None):
    values = {"fault_class": fault_class, "fault_start": iso(start), "arrived_at": iso(arrived),
              "fault_end": iso(end), "backup_installed_at": iso(backup) if backup else None}
    return record(form_kind=form_kind, performed="2026-11-03T08:00", values=values, computed=computed or {})


def test_fault_arrival_within_24_hours_is_in_time_and_a_minute_more_is_slow():
    # (a major fault: its 72 hours of repair are not in question here)
    assert not judge("FAULT_SLOW", {"record": fault("major", arrived="2026-11-03T08:00", end="2026-11-03T09:00")}).findings
    [f] = judge("FAULT_SLOW", {"record": fault("major", arrived="2026-11-03T08:01", end="2026-11-03T09:00")}).findings
    assert list(f.numbers) == ["response_hours"] and f.numbers["response_hours"]["limit"] == 24
    assert f.key == "r1" and f.subject_kind == "record" and "到达现场用时24.02小时" in f.summary


def test_a_simple_fault_is_fixed_within_8_hours_of_happening():
    ok = fault(start="2026-11-02T08:00", arrived="2026-11-02T09:00", end="2026-11-02T16:00")
    assert not judge("FAULT_SLOW", {"record": ok}).findings
    slow = fault(start="2026-11-02T08:00", arrived="2026-11-02T09:00", end="2026-11-02T16:30")
    [f] = judge("FAULT_SLOW", {"record": slow}).findings
    assert f.numbers == {"repair_hours": {"label": "故障持续时长", "hours": 8.5, "limit": 8.0}}
    # a major fault is not held to the simple fault's 8 hours but to the 72 hours of repair or backup
    major = fault("major", start="2026-11-02T08:00", arrived="2026-11-02T09:00", end="2026-11-05T08:00")
    assert not judge("FAULT_SLOW", {"record": major}).findings
    late = fault("major", start="2026-11-02T08:00", arrived="2026-11-02T09:00", end="2026-11-06T08:00")
    assert list(judge("FAULT_SLOW", {"record": late}).findings[0].numbers) == ["restore_hours"]
    backed = fault("major", start="2026-11-02T08:00", arrived="2026-11-02T09:00", end="2026-11-06T08:00",
                   backup="2026-11-04T08:00")
    assert not judge("FAULT_SLOW", {"record": backed}).findings


def test_fault_times_computed_by_fieldrecords_are_used_and_the_water_repair_form_counts():
    r = fault(computed={"response_hours": 30.0, "repair_hours": 31.0})
    [f] = judge("FAULT_SLOW", {"record": r}).findings
    assert f.numbers["response_hours"]["hours"] == 30.0 and f.numbers["repair_hours"]["hours"] == 31.0
    water = record(form_kind="ww_maintenance", values={"work_type": "repair", "fault_class": "simple",
                                                       "fault_start": iso("2026-11-02T08:00"),
                                                       "start_at": iso("2026-11-03T09:00"),
                                                       "end_at": iso("2026-11-03T10:00")})
    assert set(judge("FAULT_SLOW", {"record": water}).findings[0].numbers) == {"response_hours", "repair_hours"}
    assert not judge("FAULT_SLOW", {"record": record()}).findings
    assert not judge("FAULT_SLOW", {"record": fault(computed=None) | {"values": {}}}).findings  # nothing to judge


def _failed(**kw):
    return record("c1", "fg_calibration", "2026-11-02T10:00", passed=False,
                  failures=[{"label": "零点漂移", "message": "SO2分析仪：零点漂移3%超过2.5%"}], **kw)


def _retest(rid, when, passed=True, **kw):
    return record(rid, "fg_calibration", when, passed=passed, **kw)


def test_a_failed_calibration_needs_a_passing_one_within_72_hours():
    failed = _failed()
    # not judged before the 72 hours are over
    assert not judge("FOLLOWUP_MISSING", {"record": failed, "later": []}, now="2026-11-05T10:00").findings
    [f] = judge("FOLLOWUP_MISSING", {"record": failed, "later": []}, now="2026-11-05T10:01").findings
    assert f.subject_kind == "outlet" and f.subject_id == "o1" and "72小时内无合格的复测记录" in f.summary
    # a passing one at the 72nd hour is in time, one a minute later is not
    in_time = judge("FOLLOWUP_MISSING", {"record": failed, "later": [_retest("c2", "2026-11-05T10:00")]},
                    now="2026-11-09T10:00")
    assert not in_time.findings and in_time.cleared == ("c1",)
    assert judge("FOLLOWUP_MISSING", {"record": failed, "later": [_retest("c2", "2026-11-05T10:01")]},
                 now="2026-11-09T10:00").findings
    # a failing retest or a voided one is no follow-up; a voided failure needs none
    assert judge("FOLLOWUP_MISSING", {"record": failed, "later": [_retest("c2", "2026-11-03T10:00", False),
                                                                 _retest("c3", "2026-11-03T11:00", status="voided")]},
                 now="2026-11-09T10:00").findings
    assert judge("FOLLOWUP_MISSING", {"record": _failed(status="voided"), "later": []}).cleared == ("c1",)
    # passing records and other forms are not its business
    assert not judge("FOLLOWUP_MISSING", {"record": _retest("c2", "2026-11-02T10:00"), "later": []}).findings
    assert not judge("FOLLOWUP_MISSING", {"record": record(passed=False), "later": []}).findings


def _voided(n):
    return [record(f"v{i}") for i in range(n)]


def test_void_rate_above_five_percent_with_twenty_records_or_more():
    base = {"institution_id": "i1", "month": "2026-11", "institution": {"name": "绿源运维", "district": "浦东新区"}}
    assert judge("VOID_RATE", {**base, "total": 20, "voided": _voided(1)}).cleared == ("i1|2026-11",)  # 5 %
    [f] = judge("VOID_RATE", {**base, "total": 20, "voided": _voided(2)}).findings                   # 10 %
    assert f.key == "i1|2026-11" and f.numbers["rate_pct"] == 10.0 and len(f.evidence) == 2
    assert f.period_start == "2026-11-01" and f.period_end == "2026-11-30" and f.district == "浦东新区"
    assert not judge("VOID_RATE", {**base, "total": 19, "voided": _voided(5)}).findings              # too few
    assert not judge("VOID_RATE", {**base, "total": 40, "voided": _voided(2)}).findings              # 5 %
    assert judge("VOID_RATE", {**base, "total": 39, "voided": _voided(2)}).findings                  # 5.1 %


def test_integrity_flags_become_one_finding_per_person_and_month_from_the_threshold():
    photos = [record("p1", flags=["duplicate_photo"])]
    facts = {"person_id": "s1", "month": "2026-11", "person": {"name": "赵强"}}
    [f] = judge("INTEGRITY_DUPLICATE_PHOTO", {**facts, "records": photos}).findings
    assert f.key == "s1|2026-11" and f.subject_kind == "person" and f.person_id == "s1"
    assert [e.id for e in f.evidence] == ["p1"] and "照片与其他记录的照片雷同" in f.summary
    far = [record(f"f{i}", flags=["far_from_outlet"]) for i in range(3)]
    assert not judge("INTEGRITY_FAR_FROM_OUTLET", {**facts, "records": far[:2]}).findings
    [f] = judge("INTEGRITY_FAR_FROM_OUTLET", {**facts, "records": far}).findings
    assert f.numbers == {"count": 3, "threshold": 3, "flag": "far_from_outlet"} and len(f.evidence) == 3
    assert judge("INTEGRITY_FAR_FROM_OUTLET", {**facts, "records": far[:2]},
                 limits=Limits({"EMSS_RULE_INTEGRITY_FAR_FROM_OUTLET_MIN": "2"})).findings
