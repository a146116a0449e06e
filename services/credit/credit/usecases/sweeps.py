"""A sweep: the rules judged again over a period from the kept facts, on demand (a regulator starts
it; seed 000 非现场监管 runs for any period). It is a job document with its progress; a timer
advances it a slice at a time (EMSS_SWEEP_SLICE subjects per round, every EMSS_SWEEP_POLL_SECONDS),
under a lease so two replicas never work on the same job at once. It calls the engine's judges,
so it finds what the incremental path found; a finding already raised is not raised twice.
"""
import uuid
from datetime import date, timedelta

from marshmallow import fields, validates_schema, ValidationError

from emss_common.actor import REGULATOR, SYSADMIN
from emss_common.errors import Forbidden, NotFound
from emss_common.schema import StrictSchema
from emss_common.serial import to_wire
from emss_common.store import Index
from emss_common.validation import load

from . import facts as F
from .engine import Engine, Tally

SWEEPS = "sweeps"
INDEXES = {SWEEPS: [Index([("id", 1)], unique=True), Index([("status", 1), ("created_at", 1)])]}
MAX_DAYS = 366 * 3
LEASE = timedelta(minutes=2)
STATUS_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成"}


class SweepSchema(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="end")
        if (data["end"] - data["start"]).days > MAX_DAYS:
            raise ValidationError(f"一次排查的期间不能超过{MAX_DAYS}天", field_name="end")


def _phases(start, end):
    """(name, collection, filter, sort field) of the subjects a sweep over [start, end] judges. A
    sort field holds an ISO day or month; pages walk it one value at a time (_page)."""
    s, e = start.isoformat(), end.isoformat()
    return (
        ("records", F.RECORDS, {"performed_on": {"$gte": s, "$lte": e}}, "performed_on"),
        ("outcomes", F.OUTCOMES, {"closes_on": {"$gte": s, "$lte": e}}, "closes_on"),
        ("reports", F.REPORTS, {"issued_on": {"$gte": s, "$lte": e}}, "issued_on"),
        ("tasks", F.TASKS, {"start": {"$lte": e}}, None),
        ("void_months", F.VOID_MONTHS, {"month": {"$gte": s[:7], "$lte": e[:7]}}, "month"),
        ("flag_months", F.FLAG_MONTHS, {"month": {"$gte": s[:7], "$lte": e[:7]}}, "month"),
    )


def _following(value):
    """The ISO day or month after `value`."""
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:])
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return (date.fromisoformat(value) + timedelta(days=1)).isoformat()


def _may_sweep(actor):
    if not actor.has(REGULATOR, SYSADMIN):
        raise Forbidden("只有监管方可以发起排查")


def view(job):
    out = to_wire({k: v for k, v in job.items() if k not in ("cursor", "lease_until")})
    out["status_label"] = STATUS_LABELS[job["status"]]
    # facts kept during the sweep may add subjects: never above 100 %
    out["percent"] = min(100.0, round(100.0 * job["done"] / job["total"], 1)) if job["total"] else 100.0
    return out


def start_sweep(ctx, actor, payload):
    _may_sweep(actor)
    data = load(SweepSchema(), payload)
    start, end = data["start"], data["end"]
    total = sum(ctx.db[col].count_documents(query) for _, col, query, _ in _phases(start, end))
    job = {"id": uuid.uuid4().hex, "start": start.isoformat(), "end": end.isoformat(),
           "status": "queued" if total else "done", "done": 0, "total": total, "phase": 0, "cursor": None,
           "raised": 0, "again": 0, "resolved": 0, "created_at": ctx.now, "updated_at": ctx.now,
           "finished_at": None if total else ctx.now, "lease_until": None,
           "created_by": {"account_id": actor.account_id, "name": actor.name or actor.username}}
    ctx.db[SWEEPS].insert_one(dict(job))
    return view(job)


def sweep_status(ctx, actor, sweep_id):
    _may_sweep(actor)
    job = ctx.db[SWEEPS].find_one({"id": sweep_id}, {"_id": 0})
    if job is None:
        raise NotFound("排查任务不存在", field="sweep_id")
    return view(job)


def advance(ctx, slice_size=500, sink=None):
    """One slice of the oldest unfinished sweep: claim it, judge up to slice_size subjects from its
    cursor, save the cursor and the counts. Returns the job as left, or None when none waits."""
    now = ctx.now
    job = ctx.db[SWEEPS].find_one_and_update(
        # a lease unset or run out; no top-level $or (a collection scan on SecantusDB)
        {"status": {"$in": ["queued", "running"]}, "lease_until": {"$not": {"$gte": now}}},
        {"$set": {"status": "running", "lease_until": now + LEASE}},
        sort=[("created_at", 1)], projection={"_id": 0}, return_document=True)
    if job is None:
        return None
    tally = Tally()
    engine = Engine(ctx, sink, tally)
    phases = _phases(date.fromisoformat(job["start"]), date.fromisoformat(job["end"]))
    phase, cursor, budget, done = job["phase"], job["cursor"], slice_size, 0
    while phase < len(phases) and budget > 0:
        name, col, query, sort = phases[phase]
        rows = _page(ctx.db[col], query, sort, cursor, budget)
        for row in rows:
            _judge(engine, name, row)
        done += len(rows)
        if len(rows) < budget:          # the phase has no more
            phase, cursor = phase + 1, None
        else:
            last = rows[-1]
            cursor = {"sort": last.get(sort) if sort else None, "id": last["id"]}
        budget -= len(rows)
    finished = phase >= len(phases)
    sets = {"phase": phase, "cursor": cursor, "lease_until": None, "updated_at": ctx.now,
            "status": "done" if finished else "running"}
    if finished:
        sets["finished_at"] = ctx.now
    counts = tally.as_dict()
    ctx.db[SWEEPS].update_one({"id": job["id"]}, {"$set": sets, "$inc": {"done": done, "raised": counts["raised"],
                                                                         "again": counts["again"],
                                                                         "resolved": counts["resolved"]}})
    return ctx.db[SWEEPS].find_one({"id": job["id"]}, {"_id": 0})


def _page(col, query, sort, cursor, limit):
    """The next subjects after the cursor, in (sort value, id) order. A sorted phase is read one
    day (or month) at a time, an equality and an id range: an engine that sorts in memory after an
    equality prefix (SecantusDB) then sorts one day's subjects, never the rest of the period."""
    if not sort:
        q = query if cursor is None else {**query, "id": {"$gt": cursor["id"]}}
        return list(col.find(q, {"_id": 0}).sort([("id", 1)]).limit(limit))
    bounds = query[sort]
    value = cursor["sort"] if cursor else bounds["$gte"]
    after = cursor["id"] if cursor else None
    rows = []
    while value <= bounds["$lte"] and len(rows) < limit:
        q = {**query, sort: value}
        if after is not None:
            q["id"] = {"$gt": after}
        rows += list(col.find(q, {"_id": 0}).sort([("id", 1)]).limit(limit - len(rows)))
        if len(rows) < limit:
            value, after = _following(value), None
    return rows


def _judge(engine, phase, row):
    if phase == "records":
        engine.judge_record(row)
    elif phase == "outcomes":
        engine.judge_outcome(row)
    elif phase == "reports":
        engine.judge_report(row)
    elif phase == "tasks":
        engine.judge_task(row["id"])
    elif phase == "void_months":
        engine.judge_void_month(row["id"])
    elif phase == "flag_months":
        engine.judge_flag_month(row["id"])
