"""The 做没做 rules as they state themselves, each at its boundary (the day / working day on each side)."""
from credit.supervision.limits import Limits
from credit.supervision.rules.catalogue import BY_CODE, RULES
from credit.supervision.rules.done import check_form_kinds
from services.credit.tests.rulefacts import at, iso, occurrence, record, task

LIMITS = Limits({})


def judge(code, facts, now="2026-12-01T10:00", limits=LIMITS):
    return BY_CODE[code].judge(facts, limits, at(now))


def test_the_catalogue_names_every_rule_once_with_its_source_and_limits():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for needed in ("OM_MISSED", "CHECK_MISSED", "REPORT_MISSING", "REPORT_LATE", "CONFIRMATION_OVERDUE",
                   "TASK_IDLE", "EXPIRED_QUALIFICATION", "EXPIRED_CALIBRATION", "FAULT_SLOW", "FOLLOWUP_MISSING", "VOID_RATE",
                   "INTEGRITY_DUPLICATE_PHOTO", "INTEGRITY_FAR_FROM_OUTLET", "INTEGRITY_LONG_VISIT"):
        assert needed in codes
    described = BY_CODE["REPORT_LATE"].describe(LIMITS)
    assert described["limits"]["REPORT_UPLOAD_WORKING_DAYS"]["value"] == 5
    assert described["source"] == "P" and described["name"] == "报告逾期上传"
    # what a record does not name cannot be judged: said, not guessed
    assert "未勾选的无法判断" in BY_CODE["EXPIRED_CALIBRATION"].note


def test_limits_come_from_config_and_shared_keys():
    assert Limits({"EMSS_RULE_TASK_IDLE_DAYS": "3"})["TASK_IDLE_DAYS"] == 3
    assert Limits({"EMSS_REPORT_UPLOAD_WORKING_DAYS": "7"})["REPORT_UPLOAD_WORKING_DAYS"] == 7
    assert Limits({"EMSS_REPORT_UPLOAD_WORKING_DAYS": "7",
                   "EMSS_RULE_REPORT_UPLOAD_WORKING_DAYS": "4"})["REPORT_UPLOAD_WORKING_DAYS"] == 4
    # the fault times are the forms catalogue's (fieldrecords judges the same record with them)
    assert Limits({})["FAULT_ARRIVAL_HOURS"] == 24 and Limits({})["FAULT_BACKUP_HOURS"] == 72
    assert Limits({"FIELD_LIMIT_FAULT_ARRIVAL_HOURS": "12"})["FAULT_ARRIVAL_HOURS"] == 12


def test_a_missed_occurrence_is_om_missed_or_check_missed_by_its_form():
    assert check_form_kinds() == {"fg_periodic_check", "ww_comparison", "fg_calibration", "ww_standard_check"}
    om = judge("OM_MISSED", {"occurrence": occurrence(), "task": task()})
    [f] = om.findings
    assert (f.rule, f.key, f.subject_kind, f.subject_id, f.district) == ("OM_MISSED", "occ1", "task", "t1", "浦东新区")
    assert "运维计划" in f.summary and f.numbers["source"] == "plan"
    assert [e.kind for e in f.evidence] == ["occurrence", "task"]
    assert not judge("CHECK_MISSED", {"occurrence": occurrence(), "task": task()}).findings

    check = occurrence(form_kind="fg_periodic_check", source="standard_default")
    [f] = judge("CHECK_MISSED", {"occurrence": check, "task": None}).findings
    assert "标准默认频次" in f.summary and f.district is None
    assert not judge("OM_MISSED", {"occurrence": check}).findings

    fulfilled = judge("OM_MISSED", {"occurrence": occurrence(status="fulfilled")})
    assert not fulfilled.findings and fulfilled.cleared == ("occ1",)


def test_report_missing_until_a_report_for_its_obligation_arrives():
    ob = occurrence("ob1", "ww_comparison", status="missing", kind="report_obligation", due_date="2026-11-13")
    [f] = judge("REPORT_MISSING", {"obligation": ob, "reports": []}).findings
    assert f.key == "ob1" and f.numbers["due_date"] == "2026-11-13"
    later = judge("REPORT_MISSING", {"obligation": ob, "reports": [{"id": "rep1", "obligation_id": "ob1"}]})
    assert not later.findings and later.cleared == ("ob1",)


def _report(issued, uploaded):
    return {"id": "rep1", "number": "BG-1", "task_id": "t1", "issued_on": issued, "uploaded_at": iso(uploaded),
            "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区"}


def test_report_late_counts_official_working_days():
    # issued Friday 2026-11-20: 5 working days end on Friday 2026-11-27
    assert not judge("REPORT_LATE", {"report": _report("2026-11-20", "2026-11-27T23:59")}).findings
    [f] = judge("REPORT_LATE", {"report": _report("2026-11-20", "2026-11-28T00:00")}).findings
    assert f.numbers["due"] == "2026-11-27" and f.numbers["days_late"] == 1
    # 国庆 2026: issued 2026-09-30, the holiday and its 调休 push the 5th working day to 2026-10-13
    # (10-1..10-7 off, 10-10 a working Saturday): 10-8, 10-9, 10-10, 10-12, 10-13
    assert not judge("REPORT_LATE", {"report": _report("2026-09-30", "2026-10-13T18:00")}).findings
    assert judge("REPORT_LATE", {"report": _report("2026-09-30", "2026-10-14T09:00")}).findings
    # a stricter setting
    strict = Limits({"EMSS_RULE_REPORT_UPLOAD_WORKING_DAYS": "2"})
    assert judge("REPORT_LATE", {"report": _report("2026-11-20", "2026-11-25T09:00")}, limits=strict).findings


def test_confirmation_overdue_from_confirmation_fact():
    assert not judge("CONFIRMATION_OVERDUE", {"record": record()}).findings
    r = record(overdue=True, overdue_at=iso("2026-11-03T00:00"), day="2026-11-02")
    [f] = judge("CONFIRMATION_OVERDUE", {"record": r}).findings
    assert f.key == "r1" and f.subject_kind == "record" and f.period_start == "2026-11-02"
    assert {e.kind for e in f.evidence} == {"record", "confirmation"}


def test_task_idle_after_more_than_n_whole_days_without_a_record():
    t = task(start="2026-11-02")
    # records on 11-02; with 7 days the spell after it is idle once 11-03..11-09 passed: on 11-10
    assert not judge("TASK_IDLE", {"task": t, "days": ["2026-11-02"]}, now="2026-11-09T23:59").findings
    [f] = judge("TASK_IDLE", {"task": t, "days": ["2026-11-02"]}, now="2026-11-10T00:01").findings
    assert f.key == "t1|2026-11-02" and f.numbers["idle_days"] == 7 and f.numbers["open"]
    assert f.period_start == "2026-11-03" and f.period_end == "2026-11-09"
    # a closed spell: next record on 11-10 (7 empty days) is idle, on 11-09 (6 days) not
    assert judge("TASK_IDLE", {"task": t, "days": ["2026-11-02", "2026-11-10"]}, now="2026-11-12T10:00").findings
    assert not judge("TASK_IDLE", {"task": t, "days": ["2026-11-02", "2026-11-09"]}, now="2026-11-12T10:00").findings
    # from the start of the task when nothing was filed yet
    [f] = judge("TASK_IDLE", {"task": t, "days": []}, now="2026-11-09T08:00").findings
    assert f.key == "t1|2026-11-01" and f.period_start == "2026-11-02"
    assert not judge("TASK_IDLE", {"task": t, "days": []}, now="2026-11-08T23:00").findings
    # a record filed late into a spell clears it
    late = judge("TASK_IDLE", {"task": t, "days": ["2026-11-02", "2026-11-06"], "raised": ["t1|2026-11-02"]},
                 now="2026-11-10T00:01")
    assert not late.findings and late.cleared == ("t1|2026-11-02",)
    # a task never in progress, or finished: nothing after its end
    assert not judge("TASK_IDLE", {"task": task(in_progress_since=None), "days": []}).findings
    done = task(end="2026-11-05", status="finished", finished_on="2026-11-05")
    assert not judge("TASK_IDLE", {"task": done, "days": ["2026-11-02"]}, now="2026-12-30T10:00").findings


def test_expired_qualification_on_the_day_of_the_work():
    person = {"id": "s1", "name": "赵强", "certificates": [{"valid_from": "2024-01-01", "valid_until": "2026-11-01"}]}
    on_last_day = record(performed="2026-11-01T16:00")
    assert judge("EXPIRED_QUALIFICATION", {"record": on_last_day, "person": person}).cleared == ("r1",)
    [f] = judge("EXPIRED_QUALIFICATION", {"record": record(performed="2026-11-02T08:00"), "person": person}).findings
    assert f.subject_kind == "person" and f.person_id == "s1" and f.numbers["days_expired"] == 1
    assert {e.kind for e in f.evidence} == {"record", "person"}
    # a renewal covering the day clears it; unknown staff or no certificate: not judged
    renewed = {**person, "certificates": person["certificates"] + [{"valid_from": "2026-11-02", "valid_until": "2029-11-01"}]}
    assert judge("EXPIRED_QUALIFICATION", {"record": record(performed="2026-11-02T08:00"), "person": renewed}).cleared
    unknown = judge("EXPIRED_QUALIFICATION", {"record": record(), "person": None})
    assert not unknown.findings and not unknown.cleared


ANALYSER = {"id": "eq1", "name": "烟气分析仪", "model": "3012H", "calibration_valid_until": "2026-11-01"}
FLOWMETER = {"id": "eq2", "name": "皮托管流速计", "calibration_valid_until": "2027-06-30"}


def test_work_with_an_instrument_whose_calibration_had_expired_is_expired_calibration():
    on_last_day = record(performed="2026-11-01T23:30", equipment=[ANALYSER, FLOWMETER])
    assert not judge("EXPIRED_CALIBRATION", {"record": on_last_day}).findings
    [f] = judge("EXPIRED_CALIBRATION", {"record": record(performed="2026-11-02T08:00",
                                                          equipment=[ANALYSER, FLOWMETER])}).findings
    assert (f.rule, f.key, f.subject_kind, f.institution_id) == ("EXPIRED_CALIBRATION", "r1", "record", "i1")
    assert f.numbers == {"work_day": "2026-11-02", "equipment": 1, "days_expired": 1}
    assert "烟气分析仪（3012H）检定/校准有效期至2026-11-01" in f.summary and "流速计" not in f.summary
    assert [(e.kind, e.id) for e in f.evidence] == [("record", "r1"), ("equipment", "eq1")]
    # no instrument named, or none with a date: nothing to judge
    assert not judge("EXPIRED_CALIBRATION", {"record": record(performed="2026-11-02T08:00")}).findings
    assert not judge("EXPIRED_CALIBRATION", {"record": record(equipment=[{"id": "eq3", "name": "温度计"}])}).findings
