"""做没做 (seed 000: 自动筛查运维活动做没做): was the work done, on time, by people allowed to do it."""
from dataclasses import dataclass
from datetime import timedelta

from emss_common.forms import forms
from emss_common.workdays import working_deadline

from ..findings import Evidence, Finding
from .base import (NOTHING, Judged, Rule, as_day, form_name, local_day, record_evidence,
                   task_evidence)

# Seed 000 names the checks of 比对、校验 frequency apart from O&M frequency: the forms whose name
# is a 定期校验, a 实际水样比对 or a 校准 (标样核查及校准 included) are checks, read from the catalogue.
CHECK_TERMS = ("定期校验", "比对", "校准")


def check_form_kinds():
    return frozenset(k for k, f in forms().items() if any(t in f["name"] for t in CHECK_TERMS))


SOURCE_LABELS = {"plan": "运维计划", "standard_default": "标准默认频次"}


def _parties(fact, task=None):
    task = task or {}
    return {"institution_id": fact.get("institution_id") or task.get("institution_id"),
            "enterprise_id": fact.get("enterprise_id") or task.get("enterprise_id"),
            "outlet_id": fact.get("outlet_id"),
            "district": fact.get("district") or task.get("district")}


@dataclass(frozen=True)
class MissedOccurrence(Rule):
    """occurrence.missed from tasks (the window closed without a record; tasks owns the plans and
    the standard defaults, credit does not recompute them). checks=True: the 校验/比对/校准 forms,
    False: every other form. A later occurrence.fulfilled resolves it."""
    checks: bool = False

    def concerns(self, form_kind):
        return (form_kind in check_form_kinds()) == self.checks

    def judge(self, facts, limits, now):
        occ, task = facts["occurrence"], facts.get("task")
        if not self.concerns(occ.get("form_kind")):
            return NOTHING
        if occ.get("status") == "fulfilled":
            return Judged(cleared=(occ["id"],), reason="该频次已有运维记录")
        if occ.get("status") != "missed":
            return NOTHING
        start, end = as_day(occ.get("window_start")), as_day(occ.get("window_end"))
        source = SOURCE_LABELS.get(occ.get("source"), occ.get("source") or "")
        name = form_name(occ.get("form_kind"))
        what = "校验/比对/校准" if self.checks else "运维"
        return Judged(findings=(Finding(
            rule=self.code, key=occ["id"], subject_kind="task", subject_id=occ.get("task_id"),
            **_parties(occ, task), period_start=start.isoformat(), period_end=end.isoformat(),
            summary=f"{name}（{source}）{start.isoformat()}至{end.isoformat()}期间未完成{what}",
            numbers={"form_kind": occ.get("form_kind"), "source": occ.get("source"),
                     "window_start": start.isoformat(), "window_end": end.isoformat()},
            evidence=(Evidence("occurrence", occ["id"], f"{name} 应做频次 {start.isoformat()}～{end.isoformat()}",
                               at=end.isoformat(), link=f"/tasks/{occ.get('task_id')}"),
                      task_evidence(occ.get("task_id"), (task or {}).get("name")))),))


@dataclass(frozen=True)
class ReportMissing(Rule):
    """report.missing from tasks: a comparison / periodic-check report not uploaded by its due date.
    A report uploaded later for the same obligation resolves it (REPORT_LATE judges the lateness)."""

    def judge(self, facts, limits, now):
        ob, reports = facts["obligation"], facts.get("reports") or ()
        if reports:
            return Judged(cleared=(ob["id"],), reason="报告已上传")
        if ob.get("status") != "missing":
            return NOTHING
        due = as_day(ob.get("due_date"))
        name = form_name(ob.get("form_kind"))
        return Judged(findings=(Finding(
            rule=self.code, key=ob["id"], subject_kind="task", subject_id=ob.get("task_id"),
            **_parties(ob, facts.get("task")),
            period_start=(as_day(ob.get("issued_on") or ob.get("window_start")) or due).isoformat(),
            period_end=due.isoformat(),
            summary=f"{name}报告应于{due.isoformat()}前上传，逾期未上传",
            numbers={"due_date": due.isoformat(), "form_kind": ob.get("form_kind")},
            evidence=(Evidence("report", ob["id"], f"{name}报告（应于{due.isoformat()}前上传）",
                               at=due.isoformat(), link=f"/tasks/{ob.get('task_id')}"),
                      task_evidence(ob.get("task_id"), (facts.get("task") or {}).get("name")))),))


@dataclass(frozen=True)
class ReportLate(Rule):
    """A report uploaded later than N working days (China's official calendar, 调休 included) after
    the day it was issued: uploaded on the N-th working day is in time, on the next one late."""

    def judge(self, facts, limits, now):
        r = facts["report"]
        issued, uploaded = as_day(r.get("issued_on")), local_day(r.get("uploaded_at"))
        if issued is None or uploaded is None:
            return NOTHING
        days = limits["REPORT_UPLOAD_WORKING_DAYS"]
        deadline = working_deadline(issued, days)
        if uploaded <= deadline.date:
            return NOTHING
        late_by = (uploaded - deadline.date).days
        return Judged(findings=(Finding(
            rule=self.code, key=r["id"], subject_kind="task", subject_id=r.get("task_id"),
            **_parties(r, facts.get("task")), period_start=issued.isoformat(), period_end=uploaded.isoformat(),
            summary=f"报告{r.get('number') or ''}于{issued.isoformat()}出具，{uploaded.isoformat()}才上传，"
                    f"超过{days}个工作日期限（应于{deadline.date.isoformat()}前）",
            numbers={"issued_on": issued.isoformat(), "uploaded_on": uploaded.isoformat(),
                     "due": deadline.date.isoformat(), "working_days": days, "days_late": late_by,
                     "provisional": deadline.provisional},
            evidence=(Evidence("report", r["id"], f"报告 {r.get('number') or r['id']}", at=r.get("uploaded_at"),
                               link=f"/tasks/{r.get('task_id')}"),)),))


@dataclass(frozen=True)
class ConfirmationOverdue(Rule):
    """record.confirmation_overdue from confirmation: the enterprise did not confirm the record on
    the day (seeds 000, 003). Confirming it late does not undo the lateness."""

    def judge(self, facts, limits, now):
        r = facts["record"]
        if not r.get("overdue"):
            return NOTHING
        day = r.get("day") or r.get("performed_on")
        return Judged(findings=(Finding(
            rule=self.code, key=r["id"], subject_kind="record", subject_id=r["id"],
            **_parties(r), period_start=day, period_end=day,
            summary=f"运维记录 {r.get('number') or r['id']}（{day}）排污单位未在当日确认",
            numbers={"day": day, "overdue_at": r.get("overdue_at")},
            evidence=(record_evidence(r),
                      Evidence("confirmation", r["id"], "逾期未确认", at=r.get("overdue_at"),
                               link=f"/records/{r['id']}"))),))


@dataclass(frozen=True)
class TaskIdle(Rule):
    """A task in progress with no record for more than N whole days: after the last day with a
    record (or the day before the task began) N days passed without one. Each idle spell is one
    finding (keyed by its last active day); a record filed late into the spell resolves it.
    facts: task {id, start, end, in_progress_since, finished_on}, days (the days with a record,
    sorted), raised (keys found before), open_spells (False: leave the spell running to today to
    the timer)."""

    def spells(self, task, days, today, limit):
        begin = max(d for d in (as_day(task.get("start")), as_day(task.get("in_progress_since"))) if d)
        ends = [d for d in (as_day(task.get("end")), as_day(task.get("finished_on"))) if d]
        # the day after the task's last active day closes the last spell; today closes an open one
        stop = min([today] + [e + timedelta(days=1) for e in ends])
        last = begin - timedelta(days=1)
        out = []
        seen = set(days)
        for day in [d for d in days if begin <= d < stop] + [stop]:
            if (day - last).days > limit:
                out.append((last, day, day == stop == today and today not in seen))
            last = max(last, day)
        return out

    def judge(self, facts, limits, now):
        task, raised = facts["task"], set(facts.get("raised") or ())
        limit = limits["TASK_IDLE_DAYS"]
        if not task.get("start") or not (task.get("in_progress_since") or task.get("finished_on")):
            return NOTHING   # never in progress
        today = local_day(now)
        found = []
        for last, nxt, open_ in self.spells(task, [as_day(d) for d in facts.get("days") or ()], today, limit):
            idle = (nxt - last).days - 1       # whole days without a record
            first, until = last + timedelta(days=1), nxt - timedelta(days=1)
            found.append(Finding(
                rule=self.code, key=f"{task['id']}|{last.isoformat()}", subject_kind="task",
                subject_id=task["id"], institution_id=task.get("institution_id"),
                enterprise_id=task.get("enterprise_id"), outlet_id=None, district=task.get("district"),
                period_start=first.isoformat(), period_end=until.isoformat(),
                summary=f"运维任务 {task.get('name') or task['id']} 自{first.isoformat()}起"
                        f"{'已' if open_ else ''}连续{idle}天无运维记录（限{limit}天）",
                numbers={"idle_days": idle, "limit": limit, "since": first.isoformat(), "open": open_},
                evidence=(task_evidence(task["id"], task.get("name")),)))
        keys = {f.key for f in found}
        if not facts.get("open_spells", True):
            # a record arriving does not start a spell that runs to today: the timer does, so a
            # backlog replayed at once does not raise a passing spell after every record
            found = [f for f in found if not f.numbers["open"]]
        return Judged(findings=tuple(found), cleared=tuple(sorted(raised - keys)),
                      reason="补录的运维记录填补了该时段")


@dataclass(frozen=True)
class ExpiredQualification(Rule):
    """Work filed by staff whose competence certificate had expired on the day of the work: no
    certificate the registry ever listed for the person covers the day, and one had ended before it.
    A certificate registered later that covers the day resolves it. facts: record, person
    {id, name, certificates [{valid_from, valid_until, number}]} or None (not known yet)."""

    def judge(self, facts, limits, now):
        r, person = facts["record"], facts.get("person")
        certs = (person or {}).get("certificates") or []
        day = as_day(r.get("performed_on")) or local_day(r.get("performed_at"))
        if not certs or day is None:
            return NOTHING
        periods = [(as_day(c.get("valid_from")) or as_day(c["valid_until"]) - timedelta(days=36500),
                    as_day(c["valid_until"])) for c in certs if c.get("valid_until")]
        if any(a <= day <= b for a, b in periods):
            return Judged(cleared=(r["id"],), reason="登记的上岗证在作业当日有效")
        ended = [b for a, b in periods if b < day]
        if not ended:
            return NOTHING
        until = max(ended)
        name = person.get("name") or (r.get("filer") or {}).get("name") or person["id"]
        return Judged(findings=(Finding(
            rule=self.code, key=r["id"], subject_kind="person", subject_id=person["id"],
            **_parties(r), person_id=person["id"], period_start=day.isoformat(), period_end=day.isoformat(),
            summary=f"{name}的上岗证已于{until.isoformat()}到期，仍于{day.isoformat()}填报运维记录"
                    f" {r.get('number') or r['id']}",
            numbers={"valid_until": until.isoformat(), "work_day": day.isoformat(),
                     "days_expired": (day - until).days},
            evidence=(record_evidence(r),
                      Evidence("person", person["id"], f"{name} 上岗证有效期至{until.isoformat()}",
                               link=f"/institutions/{r.get('institution_id')}"))),))


@dataclass(frozen=True)
class ExpiredCalibration(Rule):
    """Work filed with an instrument of the institution (备案的仪器设备, named on the record by the
    filer) whose calibration (检定/校准) had expired before the day of the work, as the registry
    listed it when the record was filed. facts: record {equipment [{id, name, model,
    calibration_valid_until}]}. The valid-until day itself is still within the calibration."""

    def judge(self, facts, limits, now):
        r = facts["record"]
        day = as_day(r.get("performed_on")) or local_day(r.get("performed_at"))
        if day is None:
            return NOTHING
        expired = [(e, as_day(e["calibration_valid_until"])) for e in r.get("equipment") or ()
                   if e.get("calibration_valid_until")]
        expired = [(e, until) for e, until in expired if until < day]
        if not expired:
            return NOTHING
        labels = [(e, f"{e.get('name') or e['id']}{'（' + e['model'] + '）' if e.get('model') else ''}"
                      f"检定/校准有效期至{until.isoformat()}") for e, until in expired]
        return Judged(findings=(Finding(
            rule=self.code, key=r["id"], subject_kind="record", subject_id=r["id"], **_parties(r),
            person_id=r.get("person_id"), period_start=day.isoformat(), period_end=day.isoformat(),
            summary=f"运维记录 {r.get('number') or r['id']} 于{day.isoformat()}使用的"
                    f"{'、'.join(label for _, label in labels)}，作业时已过期",
            numbers={"work_day": day.isoformat(), "equipment": len(expired),
                     "days_expired": max((day - until).days for _, until in expired)},
            evidence=(record_evidence(r), *(Evidence("equipment", e["id"], label,
                                                     link=f"/institutions/{r.get('institution_id')}")
                                            for e, label in labels))),))
