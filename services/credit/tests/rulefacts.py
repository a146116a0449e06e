"""Facts as the credit service keeps them, for the rules' tests (plain dicts, as the judges take them)."""
from datetime import datetime

from emss_common.clock import SHANGHAI


def at(text):
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def iso(text):
    return at(text).isoformat()


def record(rid="r1", form_kind="ww_inspection", performed="2026-11-02T10:00", **kw):
    out = {"id": rid, "number": f"YW{rid}", "task_id": "t1", "institution_id": "i1", "enterprise_id": "e1",
           "district": "浦东新区", "outlet_id": "o1", "form_kind": form_kind, "performed_at": iso(performed),
           "performed_on": performed[:10], "month": performed[:7],
           "filer": {"staff_id": "s1", "account_id": "a1", "name": "赵强"}, "person_id": "s1",
           "passed": True, "failures": [], "flags": [], "status": "submitted"}
    out.update(kw)
    return out


def occurrence(oid="occ1", form_kind="ww_inspection", status="missed", source="plan", **kw):
    out = {"id": oid, "kind": "occurrence", "status": status, "task_id": "t1", "institution_id": "i1",
           "enterprise_id": "e1", "outlet_id": "o1", "form_kind": form_kind, "window_start": "2026-11-02",
           "window_end": "2026-11-08", "due_date": "2026-11-08", "source": source}
    out.update(kw)
    return out


def task(tid="t1", start="2026-11-02", end="2027-11-01", **kw):
    out = {"id": tid, "name": "浦东一厂运维", "status": "in_progress", "start": start, "end": end,
           "institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区",
           "in_progress_since": start}
    out.update(kw)
    return out
