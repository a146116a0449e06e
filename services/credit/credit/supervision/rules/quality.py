"""好不好 (seed 000: 辅助人工检查好不好): how well the work was done — fault times, failed checks
left without a passing follow-up, voided records, and integrity flags that form a pattern."""
from dataclasses import dataclass
from datetime import timedelta

from emss_common.forms import forms
from emss_common.vocabulary import CHECKIN_FLAGS

from ..findings import Finding
from ..limits import FAULT_LIMIT_KEYS
from .base import (NOTHING, Judged, Rule, fmt, form_name, hours, month_bounds, record_evidence, utc)
from .done import check_form_kinds

_LIMIT_OF_KEY = {v: k for k, v in FAULT_LIMIT_KEYS.items()}


def fault_stages():
    """{form_kind: [(limit name, computed key, label, args, formula, when)]}: the fault times the
    forms catalogue computes and judges (fieldrecords shows them to the filer), read from it so the
    rule measures exactly what the form measures: 到达现场用时 = 故障发生 → 到达现场 (24 h),
    一般故障 故障发生 → 排除 (8 h), 重大故障 故障发生 → 修复或启用备用仪器 (72 h)."""
    out = {}
    for kind, spec in forms().items():
        for section in spec.get("sections", []):
            if section.get("scope") != "form":
                continue
            for c in section.get("computed", []) or []:
                judge = c.get("judge") or {}
                name = _LIMIT_OF_KEY.get((judge.get("max") or {}).get("key"))
                if name:
                    out.setdefault(kind, []).append((name, c["key"], c["label"], c.get("args") or {},
                                                     c.get("formula"), judge.get("when")))
    return out


def _stage_hours(record, key, args, formula):
    """The computed value the record carries, else the same formula over its answers."""
    computed = record.get("computed") or {}
    if computed.get(key) is not None:
        return float(computed[key])
    values = record.get("values") or {}
    start = utc(values.get(args.get("start")))
    if start is None:
        return None
    if formula == "hours_between":
        end = utc(values.get(args.get("end")))
        return None if end is None else hours(end - start)
    if formula == "hours_to_first":
        ends = [utc(values.get(args.get(k))) for k in ("first", "second")]
        ends = [e for e in ends if e is not None]
        return hours(min(ends) - start) if ends else None
    return None


@dataclass(frozen=True)
class FaultSlow(Rule):
    """A fault-repair record (故障维修, or 仪器维修维保 of a repair) whose fault times exceed their
    limits: hours over the limit, not equal to it. One finding per record naming every stage over."""

    def judge(self, facts, limits, now):
        r = facts["record"]
        stages = fault_stages().get(r.get("form_kind"))
        if not stages:
            return NOTHING
        values = r.get("values") or {}
        over = {}
        for name, key, label, args, formula, when in stages:
            if when and values.get(when.get("field")) != when.get("equals"):
                continue
            value = _stage_hours(r, key, args, formula)
            if value is not None and value > limits[name]:
                over[key] = {"label": label, "hours": value, "limit": limits[name]}
        if not over:
            return NOTHING
        text = "；".join(f"{v['label']}{fmt(v['hours'])}小时（限{fmt(v['limit'])}小时）" for v in over.values())
        day = r.get("performed_on")
        return Judged(findings=(Finding(
            rule=self.code, key=r["id"], subject_kind="record", subject_id=r["id"],
            institution_id=r.get("institution_id"), enterprise_id=r.get("enterprise_id"),
            outlet_id=r.get("outlet_id"), district=r.get("district"), period_start=day, period_end=day,
            summary=f"故障处理超时：{text}", numbers=over, evidence=(record_evidence(r),),
            person_id=(r.get("filer") or {}).get("staff_id")),))


@dataclass(frozen=True)
class FollowupMissing(Rule):
    """A calibration / comparison / periodic-check record that failed its limits, with no passing
    record of the same form at the same outlet within N hours after it. Judged once the N hours are
    over; a passing record filed within them (even one that arrives late) resolves it.
    facts: record, later (records of the same outlet and form after it)."""

    def judge(self, facts, limits, now):
        r = facts["record"]
        if r.get("form_kind") not in check_form_kinds() or r.get("passed") is not False:
            return NOTHING
        if r.get("status") == "voided":
            return Judged(cleared=(r["id"],), reason="该记录已作废")
        at, limit = utc(r["performed_at"]), limits["FOLLOWUP_HOURS"]
        until = at + timedelta(hours=limit)
        passing = [x for x in facts.get("later") or () if x.get("passed") is True and x.get("status") != "voided"
                   and at < utc(x["performed_at"]) <= until]
        if passing:
            return Judged(cleared=(r["id"],), reason="已有合格的复测记录")
        if now <= until:
            return NOTHING
        failed = "；".join(f.get("message") or f.get("label") or "" for f in (r.get("failures") or [])[:3])
        return Judged(findings=(Finding(
            rule=self.code, key=r["id"], subject_kind="outlet", subject_id=r.get("outlet_id"),
            institution_id=r.get("institution_id"), enterprise_id=r.get("enterprise_id"),
            outlet_id=r.get("outlet_id"), district=r.get("district"),
            period_start=r.get("performed_on"), period_end=until.date().isoformat(),
            summary=f"{form_name(r.get('form_kind'))}不合格（{failed or '超出限值'}），"
                    f"{limit}小时内无合格的复测记录",
            numbers={"limit_hours": limit, "failed_at": r["performed_at"], "until": until.isoformat()},
            evidence=(record_evidence(r),), person_id=(r.get("filer") or {}).get("staff_id")),))


@dataclass(frozen=True)
class VoidRate(Rule):
    """Voided records of an institution in a month (by the day of the work) above a share of its
    records, once it has at least a minimum number of records. Resolved when the share falls back
    (more records of the month arrive). facts: institution_id, month, total, voided [records]."""

    def judge(self, facts, limits, now):
        total, voided = facts["total"], facts.get("voided") or []
        key = f"{facts['institution_id']}|{facts['month']}"
        minimum, pct = limits["VOID_RATE_MIN_RECORDS"], limits["VOID_RATE_PCT"]
        rate = 100.0 * len(voided) / total if total else 0.0
        if total < minimum or rate <= pct:
            return Judged(cleared=(key,), reason="作废比例未超过限值")
        start, end = month_bounds(facts["month"])
        inst = facts.get("institution") or {}
        return Judged(findings=(Finding(
            rule=self.code, key=key, subject_kind="institution", subject_id=facts["institution_id"],
            institution_id=facts["institution_id"], enterprise_id=None, outlet_id=None,
            district=inst.get("district"), period_start=start.isoformat(), period_end=end.isoformat(),
            summary=f"{inst.get('name') or '运维机构'}{facts['month']}作废记录{len(voided)}条/共{total}条，"
                    f"占{fmt(rate)}%（限{fmt(pct)}%）",
            numbers={"voided": len(voided), "total": total, "rate_pct": round(rate, 2), "limit_pct": pct},
            evidence=tuple(record_evidence(x, f"作废记录 {x.get('number') or x['id']}") for x in voided)),))


@dataclass(frozen=True)
class IntegrityPattern(Rule):
    """One of fieldrecords' integrity flags raised on a person's records in a month, counted; from
    the threshold on it is one finding per person and month listing the records.
    facts: person_id, month, records (with the flag), person {name}, institution, district."""
    flag: str = ""

    def judge(self, facts, limits, now):
        records, threshold = facts.get("records") or [], limits.integrity_min(self.flag)
        if len(records) < threshold:
            return NOTHING
        person, month = facts["person_id"], facts["month"]
        name = (facts.get("person") or {}).get("name") or person
        start, end = month_bounds(month)
        last = records[-1]
        return Judged(findings=(Finding(
            rule=self.code, key=f"{person}|{month}", subject_kind="person", subject_id=person,
            institution_id=last.get("institution_id"), enterprise_id=None, outlet_id=None,
            district=facts.get("district") or last.get("district"), person_id=person,
            period_start=start.isoformat(), period_end=end.isoformat(),
            summary=f"{name}{month}有{len(records)}条运维记录{CHECKIN_FLAGS[self.flag]}（{threshold}次起预警）",
            numbers={"count": len(records), "threshold": threshold, "flag": self.flag},
            evidence=tuple(record_evidence(x) for x in records)),))
