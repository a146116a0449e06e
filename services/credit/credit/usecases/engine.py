"""The rules engine: on each fact, keep it (facts.py) and run only the rules it concerns; on a timer,
the time-based rules; in a sweep (sweeps.py), the same judges over a period. A rule reads only the
kept facts, never another service.

Each `judge_*` gathers the facts about one subject, asks the rules and hands their findings to
the sink: raise_finding for each finding, resolve for each key a later fact cleared. The
incremental path and the sweep call the same `judge_*`, so they find the same.
"""
from datetime import timedelta

from ..supervision.limits import Limits
from ..supervision.rules.catalogue import BY_CODE, INTEGRITY_RULES
from ..supervision.rules.done import check_form_kinds
from . import facts as F


class Tally:
    """What a run did: findings raised (new warnings), findings seen again, keys resolved."""

    def __init__(self):
        self.raised, self.again, self.resolved = [], 0, []

    def as_dict(self):
        return {"raised": len(self.raised), "again": self.again, "resolved": len(self.resolved)}


class WarningSink:
    """Findings become warnings through credit.usecases.warnings (one place for their lifecycle)."""

    def raise_finding(self, ctx, finding):
        from . import warnings
        return warnings.raise_finding(ctx, finding)

    def resolve(self, ctx, rule, key, reason):
        from . import warnings
        return warnings.resolve(ctx, rule, key, reason)


DEFAULT_SINK = WarningSink()


class Engine:
    def __init__(self, ctx, sink=None, tally=None):
        self.ctx, self.db = ctx, ctx.db
        self.sink = sink or DEFAULT_SINK
        self.limits = Limits(ctx.config)
        self.tally = tally or Tally()

    # ----- applying a rule's result -----
    def apply(self, rule, judged):
        for finding in judged.findings:
            _, created = self.sink.raise_finding(self.ctx, finding)
            if created:
                self.tally.raised.append(finding.id)
            else:
                self.tally.again += 1
        for key in judged.cleared:
            if self.sink.resolve(self.ctx, rule.code, key, judged.reason) is not None:
                self.tally.resolved.append((rule.code, key))
        return judged

    def run(self, code, facts):
        rule = BY_CODE[code]
        return self.apply(rule, rule.judge(facts, self.limits, self.ctx.now))

    # ----- judges per subject (shared by the incremental path and the sweep) -----
    def judge_record(self, rec):
        """The rules about one record: fault times, the confirmation deadline, the filer's
        certificate, and the follow-up of a failed check (once its hours are over)."""
        self.run("FAULT_SLOW", {"record": rec})
        self.run("CONFIRMATION_OVERDUE", {"record": rec})
        self.run("EXPIRED_QUALIFICATION", {"record": rec, "person": F.person(self.db, rec.get("person_id"))})
        self.judge_followup(rec)

    def judge_followup(self, rec):
        if rec.get("form_kind") not in check_form_kinds() or rec.get("passed") is not False or not rec.get("at"):
            return None
        until = F.aware(rec["at"]) + timedelta(hours=self.limits["FOLLOWUP_HOURS"])
        judged = self.run("FOLLOWUP_MISSING", {"record": rec, "later": F.records_after(self.db, rec, until)})
        if judged.findings or judged.cleared or self.ctx.now > until:
            # judged for good: the timer need not look at it again
            self.db[F.RECORDS].update_one({"id": rec["id"]}, {"$set": {"followup_open": False}})
        return judged

    def judge_task(self, task_id):
        task = F.task(self.db, task_id)
        if not task or not task.get("start"):
            return None
        judged = self.run("TASK_IDLE", {"task": task, "days": sorted(task.get("days") or []),
                                        "raised": task.get("idle_keys") or []})
        F.note_idle_keys(self.db, task_id, [f.key for f in judged.findings], judged.cleared)
        return judged

    def judge_void_month(self, key):
        row = self.db[F.VOID_MONTHS].find_one({"id": key}, {"_id": 0})
        if row is None:
            return None
        return self.run("VOID_RATE", {
            "institution_id": row["institution_id"], "month": row["month"], "total": row.get("total", 0),
            "voided": F.records_by_ids(self.db, row.get("voided_ids") or []),
            "institution": F.institution(self.db, row["institution_id"])})

    def judge_flag_month(self, key):
        row = self.db[F.FLAG_MONTHS].find_one({"id": key}, {"_id": 0})
        if row is None:
            return None
        rule = INTEGRITY_RULES[row["flag"]]
        inst = F.institution(self.db, row.get("institution_id")) or {}
        return self.apply(rule, rule.judge({
            "person_id": row["person_id"], "month": row["month"],
            "records": F.records_by_ids(self.db, row.get("record_ids") or []),
            "person": F.person(self.db, row["person_id"]), "district": inst.get("district") or row.get("district")},
            self.limits, self.ctx.now))

    def judge_outcome(self, out):
        task = F.task(self.db, out.get("task_id"))
        if out.get("kind") == "occurrence":
            self.run("OM_MISSED", {"occurrence": out, "task": task})
            self.run("CHECK_MISSED", {"occurrence": out, "task": task})
        elif out.get("kind") == "report_obligation":
            self.run("REPORT_MISSING", {"obligation": out, "task": task,
                                        "reports": F.reports_for(self.db, out["id"])})

    def judge_report(self, report):
        self.run("REPORT_LATE", {"report": report, "task": F.task(self.db, report.get("task_id"))})
        if report.get("obligation_id"):
            ob = F.outcome(self.db, report["obligation_id"])
            if ob is not None:
                self.judge_outcome(ob)

    # ----- incremental: one fact -----
    def on_record(self, fact, source):
        rec, changed = F.keep_record(self.db, fact, source)
        self.judge_record(rec)
        if rec.get("passed") is True and rec.get("form_kind") in check_form_kinds() and rec.get("at"):
            # a passing check may be the follow-up of failed ones before it
            since = F.aware(rec["at"]) - timedelta(hours=self.limits["FOLLOWUP_HOURS"])
            for failed in F.failed_before(self.db, rec, since):
                self.judge_followup(failed)
        if changed.get("void_month"):
            self.judge_void_month(changed["void_month"])
        for flag in changed.get("flags") or []:
            self.judge_flag_month(f"{flag}|{rec['person_id']}|{rec['month']}")
        if changed.get("new") and rec.get("task_id"):
            self.judge_task(rec["task_id"])   # a record filed late may end an idle spell
        return rec

    def on_outcome(self, event_type, fact, at):
        kind, status = F.OUTCOME_STATUS[event_type]
        F.keep_outcome(self.db, kind, status, fact, at)
        out = F.outcome(self.db, fact["id"])
        self.judge_outcome(out)
        return out

    def on_outcome_fact(self, fact, at):
        """A fact of tasks' outcomes export (it carries kind and status itself)."""
        F.keep_outcome(self.db, fact.get("kind"), fact.get("status"), fact, at)
        out = F.outcome(self.db, fact["id"])
        self.judge_outcome(out)
        return out

    def on_report(self, fact):
        F.keep_report(self.db, fact)
        report = self.db[F.REPORTS].find_one({"id": fact["id"]}, {"_id": 0})
        self.judge_report(report)
        return report

    def on_task(self, fact, at):
        F.keep_task(self.db, fact, at)
        self.judge_task(fact["id"])

    def on_institution(self, fact, at):
        for person_id in F.keep_institution(self.db, fact, at):
            # a certificate now known: the person's records are judged again
            for rec in self.db[F.RECORDS].find({"person_id": person_id}, {"_id": 0}):
                self.run("EXPIRED_QUALIFICATION", {"record": rec, "person": F.person(self.db, person_id)})

    # ----- time-based -----
    def tick(self, limit=1000):
        """Tasks in progress that fell idle, failed checks whose follow-up time is over."""
        for task in self.db[F.TASKS].find({"status": "in_progress"}, {"id": 1}):
            self.judge_task(task["id"])
        due = (self.ctx.now - timedelta(hours=self.limits["FOLLOWUP_HOURS"]))
        for rec in self.db[F.RECORDS].find({"followup_open": True, "at": {"$lt": due}}, {"_id": 0}).limit(limit):
            self.judge_followup(rec)
        return self.tally.as_dict()
