"""The rules engine: on each fact, keep it (facts.py) and run only the rules it concerns; on a timer,
the time-based rules; in a sweep (sweeps.py), the same judges over a period. A rule reads only the
kept facts, never another service.

Each `judge_*` gathers the facts about one subject, asks the rules and hands their findings to
the sink: raise_finding for each finding, resolve for each key a later fact cleared. The
incremental path and the sweep call the same `judge_*`, so they find the same.
"""
from datetime import timedelta

from ..supervision.limits import Limits
from ..supervision.rules.base import Judged
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
    def judge_record(self, rec, arriving=False):
        """The rules about one record: fault times, the confirmation deadline, the filer's
        certificate, the instruments' calibration, and the follow-up of a failed check (once its
        hours are over)."""
        self.run("FAULT_SLOW", {"record": rec})
        self.run("CONFIRMATION_OVERDUE", {"record": rec})
        self.run("EXPIRED_QUALIFICATION", {"record": rec, "person": F.person(self.db, rec.get("person_id"),
                                                                           rec.get("institution_id"))})
        self.run("EXPIRED_CALIBRATION", {"record": rec})
        self.judge_followup(rec, may_raise=not arriving)

    def judge_followup(self, rec, may_raise=True):
        """may_raise False (the failed record itself arriving): only the timer raises a missing
        follow-up, so a backlog replayed at once is judged with its retests, not before them."""
        if rec.get("form_kind") not in check_form_kinds() or rec.get("passed") is not False or not rec.get("at"):
            return None
        rule = BY_CODE["FOLLOWUP_MISSING"]
        until = F.aware(rec["at"]) + timedelta(hours=self.limits["FOLLOWUP_HOURS"])
        judged = rule.judge({"record": rec, "later": F.records_after(self.db, rec, until)}, self.limits, self.ctx.now)
        if not may_raise:
            judged = Judged(cleared=judged.cleared, reason=judged.reason)
        self.apply(rule, judged)
        if judged.findings or judged.cleared:
            # judged for good: the timer need not look at it again
            self.db[F.RECORDS].update_one({"id": rec["id"]}, {"$set": {"followup_open": False}})
        return judged

    def judge_task(self, task_id, open_spells=True, task=None):
        task = task or F.task(self.db, task_id)
        if not task or not task.get("start"):
            return None
        judged = self.run("TASK_IDLE", {"task": task, "days": sorted(task.get("days") or []),
                                        "raised": task.get("idle_keys") or [], "open_spells": open_spells})
        F.note_idle_keys(self.db, task_id, [f.key for f in judged.findings], judged.cleared)
        return judged

    def judge_void_month(self, key):
        row = self.db[F.VOID_MONTHS].find_one({"id": key}, {"_id": 0})
        if row is None:
            return None
        rule = BY_CODE["VOID_RATE"]
        facts = {"institution_id": row["institution_id"], "month": row["month"], "total": row.get("total", 0),
                 "voided": F.records_by_ids(self.db, row.get("voided_ids") or [])}
        judged = rule.judge(facts, self.limits, self.ctx.now)
        if judged.findings:   # the institution's name and district only for what is raised
            facts["institution"] = F.institution(self.db, row["institution_id"])
            judged = rule.judge(facts, self.limits, self.ctx.now)
            self.db[F.VOID_MONTHS].update_one({"id": key}, {"$set": {"raised": True}})
        elif not row.get("raised"):
            return judged     # nothing raised for the month: nothing to resolve
        return self.apply(rule, judged)

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
        for obligation_id in report.get("obligation_ids") or ():
            ob = F.outcome(self.db, obligation_id)
            if ob is not None:
                self.judge_outcome(ob)

    # ----- incremental: one fact -----
    def on_record(self, fact, source):
        rec, changed = F.keep_record(self.db, fact, source)
        self.judge_record(rec, arriving=True)
        if rec.get("passed") is True and rec.get("form_kind") in check_form_kinds() and rec.get("at"):
            # a passing check may be the follow-up of failed ones before it
            since = F.aware(rec["at"]) - timedelta(hours=self.limits["FOLLOWUP_HOURS"])
            for failed in F.failed_before(self.db, rec, since):
                self.judge_followup(failed)
        if changed.get("void_month"):
            self.judge_void_month(changed["void_month"])
        for flag in changed.get("flags") or []:
            self.judge_flag_month(f"{flag}|{rec['person_id']}|{rec['month']}")
        if changed.get("new") and changed.get("task"):
            # a record filed late may end an idle spell
            self.judge_task(rec["task_id"], open_spells=False, task=changed["task"])
        return rec, changed

    def on_outcome(self, event_type, fact, at):
        """occurrence.missed / occurrence.fulfilled / report.missing; True when the copy changed."""
        kind, status = F.OUTCOME_STATUS[event_type]
        return self._outcome(F.keep_outcome(self.db, kind, status, fact, at), fact)

    def on_outcome_fact(self, fact, at):
        """A fact of tasks' outcomes export: {id, type, decided_at, occurrence | report_obligation}."""
        key = "occurrence" if fact.get("occurrence") else "report_obligation"
        return self.on_outcome(fact["type"], fact[key], at)

    def _outcome(self, kept, fact):
        out = F.outcome(self.db, fact["id"])
        if out is not None:
            self.judge_outcome(out)
        return kept

    def on_report(self, fact):
        kept = F.keep_report(self.db, fact)
        self.judge_report(self.db[F.REPORTS].find_one({"id": fact["id"]}, {"_id": 0}))
        return kept

    def on_task(self, fact, at):
        kept = F.keep_task(self.db, fact, at)
        self.judge_task(fact["id"], open_spells=False)
        return kept

    def on_institution(self, fact, at):
        changed = F.keep_institution(self.db, fact, at)
        for person_id in changed:
            # a certificate now known: the person's records are judged again
            person = F.person(self.db, person_id, fact["id"])
            for rec in self.db[F.RECORDS].find({"person_id": person_id}, {"_id": 0}):
                self.run("EXPIRED_QUALIFICATION", {"record": rec, "person": person})
        return bool(changed)

    # ----- time-based -----
    def tick(self, limit=1000):
        """Tasks in progress that fell idle, failed checks whose follow-up time is over."""
        for task in self.db[F.TASKS].find({"status": "in_progress"}, {"id": 1}):
            self.judge_task(task["id"])
        due = (self.ctx.now - timedelta(hours=self.limits["FOLLOWUP_HOURS"]))
        for rec in self.db[F.RECORDS].find({"followup_open": True, "at": {"$lt": due}}, {"_id": 0}).limit(limit):
            self.judge_followup(rec)
        return self.tally.as_dict()
