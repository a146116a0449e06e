"""Supervision at Shanghai's size: a generated year of O&M facts fed through the credit service's
own event handlers (fact keeping + incremental rules), then a full-year sweep, at growing shares of
the city, extrapolated to the whole year. Prints numbers; asserts nothing about them.

    .venv/bin/python bench/supervision_bench.py                         # up to 30 minutes
    BENCH_SHARES=0.001 BENCH_BUDGET_SECONDS=120 .venv/bin/python bench/supervision_bench.py

What it measures: the credit service's ingestion (each event handed to the handler the broker
would call, with its processed-event claim, fact keeping, rules and warnings, written to the
store over the wire) and its sweep use case. Not the broker: no AMQP, no relay of credit's own
events (they are written to its outbox and counted).

The year (YEAR, generated, deterministic from BENCH_SEED): 409 institutions and 1,608 O&M tasks
(seed 001's counts), each task an enterprise with 1-4 outlets (2.4 on average; waste water or
flue gas) and the registry's devices for them, two or three filed staff, and a plan that makes
the standard's frequencies stricter the way Shanghai plans do (inspection daily, check and
calibration weekly, comparison monthly, periodic check every three months; tasks adds the
standard's default where the plan is silent, e.g. the NMHC analyser's weekly inspection);
on-demand forms (consumables, maintenance, fault repair, standard gas) arrive at their yearly
rates. About 1.9 million records a year, each bringing three to four more facts. Every due window becomes a
record on a day inside it unless the task misses it; tasks and people differ (a few sloppy tasks
miss 8 % and pause for three weeks, a few risky people raise most integrity flags, a few
institutions void a lot, a few enterprises confirm late). Each record then brings its
confirmation (same day, or overdue and confirmed later), the institution's review (confirm or
void), its occurrence outcome from tasks, and for comparisons and periodic checks the report
(on time, late, or missing and then late). The events are made by the producing services' own
code (fieldrecords' record fact after the forms pipeline judged the content, confirmation's fact,
tasks' report view and task snapshot, registry's institution snapshot), so their shape is the
one credit consumes. RATES holds every rate.

Shares: a share s is the first s x 1,608 tasks with their institutions, for the whole year;
shares are cumulative (going from 1 % to 2 % feeds only the tasks added), so the ingestion of a
share is timed with the store already holding the smaller share. After each share the year is
swept. Growth is fitted by least squares on log-log (slope 1 = linear) and extrapolated to 100 %.
BENCH_SHARES (0.001,0.002,0.005,0.01,0.02,0.05,0.1,0.2,0.5,1), BENCH_BUDGET_SECONDS (1800: a
share that would not fit, judged from the rate so far, is not started; one that overruns by 10 %
is stopped and not counted), BENCH_SEED, BENCH_PROGRESS_SECONDS (progress on stderr, 60),
MONGO_URI (else a SecantusDB server of its own, as the tests start it), BENCH_STORE_OPTIONS (URI
options for the client of that server added to the embedded server's own, which turn retryable
writes off as the services' do (emss_common/storeserver.py): SecantusDB keeps the last 10,000
retryable writes and sorts them all on every write once it holds that many, about 10 ms of its CPU
per write; retryWrites=true shows that cost).

The time-based checks (credit's timer, every 5 minutes in service) run once per share at the
year's end rather than through the simulated year: shares are fed one after the other, so the
clock of a later share starts again in January, and a tick then would judge the earlier tasks at
a time before their facts.
"""
import hashlib
import heapq
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter, defaultdict
from datetime import date, datetime, time as dtime, timedelta, timezone

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")   # nameko's import, not ours

from emss_common.clock import SHANGHAI, FrozenClock  # noqa: E402
from emss_common.forms import form  # noqa: E402
from emss_common.serial import to_document, to_wire  # noqa: E402
from emss_common.vocabulary import CHECKIN_FLAGS, REPORT_FOR_FORM  # noqa: E402
from emss_common.workdays import working_days_between  # noqa: E402

INSTITUTIONS, TASKS = 409, 1608          # seed 001: 总共 409 条 (运维机构), 1608 条 (运维任务)
RECORDS_GOAL = 2_000_000                 # about the record facts of a Shanghai year
YEAR = 2025                              # a whole past year the official calendar covers
DAYS = (date(YEAR + 1, 1, 1) - date(YEAR, 1, 1)).days
SHARES = [float(s) for s in os.environ.get("BENCH_SHARES", "0.001,0.002,0.005,0.01,0.02,0.05,0.1,0.2,0.5,1").split(",")]
BUDGET = float(os.environ.get("BENCH_BUDGET_SECONDS", "1800"))
SEED = int(os.environ.get("BENCH_SEED", "11"))
DISTRICTS = ("浦东新区", "闵行区", "嘉定区", "松江区", "青浦区", "奉贤区", "金山区", "宝山区",
             "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "黄浦区", "崇明区")
# Where the industry is: the outer districts hold most outlets.
DISTRICT_WEIGHTS = (14, 9, 9, 9, 7, 8, 9, 9, 3, 2, 2, 3, 2, 3, 1, 3)

# Every rate of the generated year, in one place.
RATES = {
    "outlets_per_task": (1, 1, 2, 2, 3, 3, 3, 4),   # drawn uniformly: mean 2.4
    "wastewater_share": 0.55,
    "on_demand_per_year": {"wastewater": {"ww_consumables": 24, "ww_maintenance": 12, "ww_standard_sample": 12},
                           "flue_gas": {"fg_consumables": 24, "fg_fault_repair": 8, "fg_gas_replacement": 4}},
    "miss": 0.012,                 # a due window left without a record
    "sloppy_task": 0.03,           # tasks that miss more, and pause for three weeks once
    "sloppy_miss": 0.08,
    "pause_days": 21,
    "fail": 0.03,                  # a judged form failing its limits
    "slow_fault": {"arrive": 0.05, "fix": 0.07},   # fault repair beyond 8 h to arrive / 24 h to fix
    "risky_person": 0.08,          # people whose records carry most integrity flags
    "flag": 0.006, "risky_flag": 0.10,
    "flag_mix": {"far_from_outlet": 35, "photo_time_mismatch": 25, "duplicate_photo": 15, "long_visit": 10,
                 "impossible_speed": 8, "photo_far_from_outlet": 7},
    "late_enterprise": 0.04,       # enterprises that often confirm after the day
    "overdue": 0.03, "late_overdue": 0.35, "confirmed_after_overdue": 0.85,
    "voiding_institution": 0.05,   # institutions that void many records
    "void": 0.012, "high_void": 0.08,
    "report_late": 0.06, "report_missing": 0.03, "missing_then_uploaded": 0.5,
    "expired_certificate": 0.03,   # staff whose competence certificate lapses during the year
}
FORMS = {"wastewater": {"inspection": ("ww_inspection", {"kind": "daily"}),
                        "check": ("ww_standard_check", {"kind": "weekly"}),
                        "comparison": ("ww_comparison", {"kind": "monthly"})},
         "flue_gas": {"inspection": ("fg_inspection_extractive", {"kind": "daily"}),
                      "check": ("fg_calibration", {"kind": "weekly"}),
                      "comparison": ("fg_periodic_check", {"kind": "every_3_months"})}}


def digest(*parts, n=24):
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()[:n]


def local(day, hours):
    """A time on a Shanghai day, as UTC."""
    return (datetime.combine(day, dtime(0), tzinfo=SHANGHAI) + timedelta(hours=hours)).astimezone(timezone.utc)


def envelope(type_, source, subject, data, at, actor=None):
    """The envelope make_event builds, with a deterministic id (a replay is the same event)."""
    event = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"emss-bench:{type_}:{subject}:{at.isoformat()}")),
             "type": type_, "version": 1, "occurred_at": at.isoformat(), "source": source,
             "subject": str(subject), "actor": actor or {"account_id": None, "username": "system",
                                                          "roles": ["system"]},
             "data": data}
    return event


# ---------------------------------------------------------------------- the city

class City:
    """409 institutions and 1,608 tasks, deterministic from the seed; a task's year is generated
    from its own random stream, so a task is the same whatever share it is fed in."""

    def __init__(self, seed):
        from services.fieldrecords.tests.form_samples import device_docs_for
        self.seed = seed
        rng = random.Random(f"{seed}:city")
        self.institutions = [self._institution(rng, i) for i in range(INSTITUTIONS)]
        # The first 409 tasks go one to each institution, the rest to a few large ones more often.
        weights = [1 / (1 + i) ** 0.7 for i in range(INSTITUTIONS)]
        owners = list(range(INSTITUTIONS)) + rng.choices(range(INSTITUTIONS), weights, k=TASKS - INSTITUTIONS)
        # An outlet's devices: every device any of its forms needs (registry ids are made per outlet).
        self.devices = {}
        for kind in FORMS:
            kinds = [k for k, _ in FORMS[kind].values()] + list(RATES["on_demand_per_year"][kind])
            self.devices[kind] = list({d["id"]: d for k in kinds for d in device_docs_for(k)}.values())
        self.tasks = [self._task(rng, j, self.institutions[owners[j]]) for j in range(TASKS)]
        self.first_task = {}
        for t in self.tasks:
            self.first_task.setdefault(t["institution_id"], t["index"])

    def _institution(self, rng, i):
        iid = digest("inst", i)
        voiding = rng.random() < RATES["voiding_institution"]
        staff = []
        for k in range(rng.randint(4, 14)):
            expires = rng.random() < RATES["expired_certificate"]
            until = date(YEAR, 1, 1) + timedelta(days=rng.randint(60, 300)) if expires else \
                date(YEAR + rng.randint(1, 4), rng.randint(1, 12), 1)
            staff.append({"id": digest("staff", i, k), "name": f"运维员{i:03d}{k:02d}", "gender": "男",
                          "education": "本科", "post": "运维工程师", "technical_role": "om_staff",
                          "is_professional": True, "resigned": False,
                          "certificate": {"number": f"SHYW{i:03d}{k:02d}", "issuer": "上海市环境保护产业协会",
                                          "category": "自动监控运维", "valid_from": until - timedelta(days=3 * 365),
                                          "valid_until": until},
                          "risky": rng.random() < RATES["risky_person"]})
        return {"id": iid, "name": f"上海第{i + 1}环境运维有限公司", "type": "om", "credit_code": f"91310000{i:010d}",
                "district": rng.choices(DISTRICTS, DISTRICT_WEIGHTS)[0], "status": "published",
                "self_operating": False, "enterprise_id": None, "capabilities": ["om"],
                "equipment": [{"asset_number": f"EQ{i:03d}{k}", "serial_number": f"SN{i:03d}{k}", "name": "标准气体",
                               "calibration_valid_until": date(YEAR + 1, 6, 30)} for k in range(2)],
                "vehicles": [], "valid_until": date(YEAR + 2, 12, 31), "version": 3, "staff": staff,
                "voiding": voiding, "index": i}

    def _task(self, rng, j, inst):
        tid, eid = digest("task", j), digest("ent", j)
        district = rng.choices(DISTRICTS, DISTRICT_WEIGHTS)[0]
        outlets = []
        for k in range(rng.choice(RATES["outlets_per_task"])):
            kind = "wastewater" if rng.random() < RATES["wastewater_share"] else "flue_gas"
            oid = digest("outlet", j, k)
            devices = [{**d, "id": f"{oid[:12]}-{d['id']}", "enterprise_id": eid, "outlet_id": oid,
                        "current_maintainer": inst["name"], "version": 1}
                       for d in self.devices[kind]]
            outlets.append({"id": oid, "kind": kind, "name": f"{k + 1}#{'废水' if kind == 'wastewater' else '废气'}排口",
                            "devices": devices, "longitude": 121.2 + rng.random() * 0.6,
                            "latitude": 30.9 + rng.random() * 0.5})
        plan = [{"id": digest("plan", j, o["id"], role), "title": form(kind_)["name"], "outlet_id": o["id"],
                 "form_kind": kind_, "frequency": freq}
                for o in outlets for role, (kind_, freq) in FORMS[o["kind"]].items()]
        staff = rng.sample(inst["staff"], min(len(inst["staff"]), rng.randint(2, 3)))
        sloppy = rng.random() < RATES["sloppy_task"]
        pause = rng.randint(30, DAYS - 60) if sloppy else None
        return {"id": tid, "index": j, "name": f"企业{j:04d}自动监控运维", "institution": inst,
                "institution_id": inst["id"], "enterprise_id": eid, "enterprise_name": f"上海企业{j:04d}有限公司",
                "contract_id": digest("contract", j), "district": district, "status": "in_progress",
                "start": date(YEAR, 1, 1), "end": date(YEAR, 12, 31), "outlets": outlets,
                "outlet_ids": [o["id"] for o in outlets], "staff": staff, "staff_ids": [s["id"] for s in staff],
                "device_ids": [d["id"] for o in outlets for d in o["devices"]], "plan": plan, "version": 2,
                "sloppy": sloppy, "pause": (pause, pause + RATES["pause_days"]) if sloppy else None,
                "late_enterprise": rng.random() < RATES["late_enterprise"]}

    def share_tasks(self, share):
        return max(1, round(TASKS * share))

    def registry_of(self, task):
        """The task's outlets ({id: outlet}) and their devices as the registry keeps them."""
        if "registry" not in task:
            outlets = {o["id"]: {"id": o["id"], "enterprise_id": task["enterprise_id"], "name": o["name"],
                                 "kind": o["kind"], "district": task["district"], "longitude": o["longitude"],
                                 "latitude": o["latitude"], "crs": "WGS-84", "version": 1}
                       for o in task["outlets"]}
            devices = [d for o in task["outlets"] for d in o["devices"]]
            task["registry"] = (outlets, devices)
        return task["registry"]

    def expected_records(self, every=4):
        """Records a whole year holds (every 4th task's windows kept plus its on-demand forms,
        scaled to all tasks): what 100 % means."""
        from tasks.domain.obligations import due
        picked = self.tasks[::every]
        total = 0.0
        for task in picked:
            windows = len(due(task, date(YEAR, 1, 1), date(YEAR, 12, 31), *self.registry_of(task)))
            miss = RATES["sloppy_miss"] if task["sloppy"] else RATES["miss"]
            paused = RATES["pause_days"] / DAYS if task["sloppy"] else 0
            total += windows * (1 - miss) * (1 - paused)
            total += sum(sum(RATES["on_demand_per_year"][o["kind"]].values()) for o in task["outlets"]) * (1 - paused)
        return total * TASKS / len(picked)


# ---------------------------------------------------------------------- the events

class Producers:
    """The producing services' own code that turns their documents into the events' data."""

    def __init__(self):
        from confirmation.domain.records import ConfirmationDeadline
        from confirmation.usecases.records import fact as confirmation_fact
        from fieldrecords.domain.forms import evaluate
        from fieldrecords.usecases.records import fact as record_fact
        from registry.usecases.institutions import snapshot as institution_snapshot
        from services.fieldrecords.tests.form_samples import sample_content
        from tasks.usecases.om_tasks import snapshot as task_snapshot
        from tasks.usecases.obligations import occurrence_data
        from tasks.usecases.reports import view as report_view
        self.occurrence_data = occurrence_data
        self.record_fact, self.confirmation_fact, self.report_view = record_fact, confirmation_fact, report_view
        self.institution_snapshot, self.task_snapshot = institution_snapshot, task_snapshot
        self.evaluate, self.sample_content = evaluate, sample_content
        self.deadline = ConfirmationDeadline()
        self._judged = {}

    def judged(self, kind, devices, passing, at, hours=None):
        """The forms pipeline's result for a sample content of this kind on the outlet kind's
        devices (registry ids), and the ids of the devices it used. Cached per kind and verdict,
        except a fault repair, whose hours are the record's own."""
        key = (kind, passing)
        if hours is None and key in self._judged:
            return self._judged[key]
        content = self.sample_content(kind, devices, passing=passing, at=at)
        if content is None:   # the form judges nothing: it cannot fail
            content = self.sample_content(kind, devices, passing=True, at=at)
        if hours is not None:   # a fault repair: found → on site → fixed, in the record's hours
            arrive, fix = hours
            start = at - timedelta(hours=arrive)
            content["values"].update(fault_start=start.isoformat(), arrived_at=at.isoformat(),
                                     fault_end=(start + timedelta(hours=fix)).isoformat())
        used = [b["device_id"] for b in content.get("blocks") or []]
        result = (self.evaluate(kind, content, {d["id"]: d for d in devices if d["id"] in used}), used)
        if hours is None:
            self._judged[key] = result
        return result


class Year:
    """The events of the year for tasks lo..hi-1, in time order, one day at a time. What tasks
    owes is its own domain's answer (obligations.due: the plan's windows and the standard's
    defaults where the plan is silent); each window is decided as tasks' sweep decides it, shortly
    after it closes, from the records performed in it that were not voided by then."""

    DECIDED_AT = 2.05      # hours after Shanghai midnight: tasks' grace (2 h) and its 5-minute sweep

    def __init__(self, city, producers, lo, hi):
        from tasks.domain.obligations import due
        self.city, self.p, self.lo, self.hi = city, producers, lo, hi
        self.pending = []          # heap of (at, seq, event or a callable making it then)
        self.seq = 0
        self.counts = Counter()
        self.todo = {}             # (task index, day index) -> [(outlet, form kind, obligation)]
        self.done = defaultdict(list)   # obligation id -> [(record id, voided at or None)]
        self.windows = {}          # task index -> {day index: [Obligation]}
        start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
        for task in city.tasks[lo:hi]:
            by_day = defaultdict(list)
            for ob in due(task, start, end, *city.registry_of(task)):
                by_day[(ob.window_start - start).days].append(ob)
            self.windows[task["index"]] = by_day

    def _at(self, at, event):
        self.seq += 1
        heapq.heappush(self.pending, (at, self.seq, event))

    def __iter__(self):
        yield from self._registry()
        start = date(YEAR, 1, 1)
        for d in range(DAYS):
            day = start + timedelta(days=d)
            for task in self.city.tasks[self.lo:self.hi]:
                self._day(task, d, day)
            yield from self._until(local(day + timedelta(days=1), 0))
        yield from self._until(datetime.max.replace(tzinfo=timezone.utc))

    def _until(self, end):
        while self.pending and self.pending[0][0] < end:
            item = heapq.heappop(self.pending)[2]
            event = item() if callable(item) else item
            self.counts[event["type"]] += 1
            yield event

    # -- registry and task state, before the year
    def _registry(self):
        at = local(date(YEAR, 1, 1), -48)
        admin = {"account_id": "a-admin", "username": "admin", "roles": ["sysadmin"]}
        for task in self.city.tasks[self.lo:self.hi]:
            inst = task["institution"]
            if self.city.first_task[inst["id"]] == task["index"]:   # fed with its first task
                doc = {k: v for k, v in inst.items() if k not in ("voiding", "index")}
                doc["staff"] = [{k: v for k, v in s.items() if k != "risky"} for s in inst["staff"]]
                yield self._count(envelope("institution.published", "registry", inst["id"],
                                           {"institution": self.p.institution_snapshot(doc)}, at, admin))
            outlets, devices = self.city.registry_of(task)
            ent = {"id": task["enterprise_id"], "name": task["enterprise_name"], "district": task["district"],
                   "credit_code": f"91310100{task['index']:010d}", "self_operating": False, "version": 1}
            yield self._count(envelope("enterprise.registered", "registry", ent["id"], {"enterprise": to_wire(ent)},
                                       at, admin))
            for o in outlets.values():
                yield self._count(envelope("outlet.added", "registry", o["id"], {"outlet": to_wire(o)}, at, admin))
            for dev in devices:
                yield self._count(envelope("device.registered", "registry", dev["id"], {"device": to_wire(dev)}, at,
                                           admin))
            snap = self.p.task_snapshot(None, {k: task[k] for k in ("id", "name", "institution_id", "enterprise_id",
                                                                     "contract_id", "district", "status", "start",
                                                                     "end", "outlet_ids", "staff_ids", "device_ids",
                                                                     "plan", "version")})
            yield self._count(envelope("task.changed", "tasks", task["id"], {"task": snap}, at + timedelta(hours=1)))

    def _count(self, event):
        self.counts[event["type"]] += 1
        return event

    # -- one task's day
    def _day(self, task, d, day):
        rng = random.Random(f"{self.city.seed}:{task['index']}:{d}")
        paused = task["pause"] and task["pause"][0] <= d < task["pause"][1]
        miss = RATES["sloppy_miss"] if task["sloppy"] else RATES["miss"]
        outlets = {o["id"]: o for o in task["outlets"]}
        for ob in self.windows[task["index"]].get(d, ()):
            self._at(local(ob.window_end + timedelta(days=1), self.DECIDED_AT), lambda t=task, o=ob: self._decided(t, o))
            length = (ob.window_end - ob.window_start).days + 1
            if paused or rng.random() < miss:
                continue
            # Early in the window more often: people do the work when it falls due.
            on = ob.window_start + timedelta(days=min(length - 1, int(rng.random() ** 2 * length)))
            self.todo.setdefault((task["index"], (on - date(YEAR, 1, 1)).days), []).append(
                (outlets[ob.outlet_id], ob.form_kind, ob))
        todo = self.todo.pop((task["index"], d), [])
        if not paused:
            for o in task["outlets"]:
                for kind, per_year in RATES["on_demand_per_year"][o["kind"]].items():
                    for _ in range(_poisson(rng, per_year / DAYS)):
                        todo.append((o, kind, None))
        for n, (outlet, kind, ob) in enumerate(todo):
            self._record(rng, task, day, n, outlet, kind, ob)

    def _decided(self, task, ob):
        """occurrence.fulfilled / occurrence.missed as tasks' sweep announces it (its own data)."""
        at = local(ob.window_end + timedelta(days=1), self.DECIDED_AT)
        ids = sorted(rid for rid, voided in self.done.pop(ob.id, ()) if voided is None or voided > at)
        data = self.p.occurrence_data(task, ob, ids, self.city.registry_of(task)[0])
        return envelope("occurrence.fulfilled" if ids else "occurrence.missed", "tasks", ob.id,
                        {"occurrence": data}, at)

    def _record(self, rng, task, day, n, outlet, kind, ob):
        inst = task["institution"]
        person = rng.choice(task["staff"])
        performed = local(day, 8.5 + rng.random() * 9)
        submitted = performed + timedelta(minutes=20 + rng.random() * 70)
        record_id = digest("record", task["index"], day.isoformat(), n)
        passing = rng.random() >= RATES["fail"]
        hours = None
        if kind == "fg_fault_repair":
            slow = RATES["slow_fault"]
            arrive = rng.uniform(24.5, 40) if rng.random() < slow["arrive"] else rng.uniform(0.5, 20)
            fix = rng.uniform(arrive + 8, 90) if rng.random() < slow["fix"] else rng.uniform(arrive + 0.5, arrive + 6)
            hours = (arrive, fix)
            submitted = max(submitted, performed + timedelta(hours=fix - arrive, minutes=15))
        judged, used = self.p.judged(kind, self.city.devices[outlet["kind"]], passing, performed, hours)
        devices = [d for d in outlet["devices"] if d["id"].split("-", 1)[1] in used]
        flags = []
        if rng.random() < (RATES["risky_flag"] if person["risky"] else RATES["flag"]):
            code = rng.choices(list(RATES["flag_mix"]), list(RATES["flag_mix"].values()))[0]
            flags.append({"code": code, "label": CHECKIN_FLAGS[code]})
        filer = {"account_id": digest("acct", person["id"]), "username": f"yw{person['id'][:8]}",
                 "staff_id": person["id"], "name": person["name"]}
        where = {"lng": outlet["longitude"], "lat": outlet["latitude"]}
        record = {"id": record_id, "number": f"YW{YEAR}{task['index']:04d}{(day - date(YEAR, 1, 1)).days:03d}{n:02d}",
                  "task_id": task["id"], "institution_id": task["institution_id"], "enterprise_id": task["enterprise_id"],
                  "enterprise_name": task["enterprise_name"], "district": task["district"], "outlet_id": outlet["id"],
                  "outlet_name": outlet["name"], "outlet_kind": outlet["kind"], "form_kind": kind,
                  "performed_at": performed, "performed_on": day.isoformat(), "submitted_at": submitted,
                  "filer": filer, "content": judged["content"], "computed": judged["computed"],
                  "verdict": judged["verdict"],
                  "devices": [{k: d.get(k) for k in ("id", "kind", "name", "model", "brand", "serial_number",
                                                     "factor_code", "unit", "range_lower", "range_upper")}
                              for d in devices],
                  "device_ids": [d["id"] for d in devices],
                  "check_in": {"at": performed, "stage": "start", "wgs84": where, "distance_m": 12.0,
                               "accuracy_m": 15.0, "flags": []},
                  "check_out": {"at": submitted, "stage": "end", "wgs84": where, "distance_m": 9.0,
                                "accuracy_m": 12.0, "flags": []},
                  "flags": flags, "status": "submitted"}
        actor = {"account_id": filer["account_id"], "username": filer["username"], "roles": ["field_staff"],
                 "name": person["name"]}
        self._at(submitted, envelope("record.submitted", "fieldrecords", record_id,
                                     {"record": self.p.record_fact(record)}, submitted, actor))
        voided = self._confirmation(rng, task, inst, record)
        if ob is not None:
            self.done[ob.id].append((record_id, voided))
        if kind in REPORT_FOR_FORM:
            self._report(rng, task, record, day)

    def _confirmation(self, rng, task, inst, record):
        """Confirmation's events for the record; the time it was voided, if it was."""
        day = record["performed_on"]
        copy_ = {k: record.get(k) for k in ("id", "number", "task_id", "institution_id", "enterprise_id",
                                             "enterprise_name", "district", "outlet_id", "outlet_name",
                                             "form_kind", "performed_at", "performed_on", "submitted_at",
                                             "filer")}
        copy_.update(form_name=form(record["form_kind"])["name"], day=day, status="pending", overdue=False,
                     overdue_at=None, late=False, enterprise_confirmation=None, review=None,
                     updated_at=record["submitted_at"])
        the_day = date.fromisoformat(day)
        enterprise = {"account_id": digest("acct", task["enterprise_id"]), "username": f"qy{task['index']:04d}",
                      "roles": ["enterprise_user"]}
        overdue = rng.random() < (RATES["late_overdue"] if task["late_enterprise"] else RATES["overdue"])
        if overdue:
            at = local(the_day + timedelta(days=1), 0.02 + rng.random() * 0.1)
            copy_.update(status="overdue", overdue=True, overdue_at=at, updated_at=at)
            self._at(at, envelope("record.confirmation_overdue", "confirmation", record["id"],
                                  {"record": self.p.confirmation_fact(copy_, self.p.deadline)}, at))
            if rng.random() >= RATES["confirmed_after_overdue"]:
                return None
            confirmed = local(the_day + timedelta(days=rng.randint(1, 5)), 9 + rng.random() * 9)
        else:
            confirmed = max(record["submitted_at"] + timedelta(minutes=10), local(the_day, 16 + rng.random() * 7.5))
        act = {"id": digest("act", record["id"], "ec"), "at": to_wire(confirmed), "by": enterprise}
        copy_.update(status="enterprise_confirmed", late=overdue, updated_at=confirmed,
                     enterprise_confirmation={"act_id": act["id"], "at": confirmed, "by": enterprise, "late": overdue})
        self._at(confirmed, envelope("record.enterprise_confirmed", "confirmation", record["id"],
                                     {"record": self.p.confirmation_fact(copy_, self.p.deadline), "act": act},
                                     confirmed, enterprise))
        reviewed = confirmed + timedelta(hours=2 + rng.random() * 46)
        void = rng.random() < (RATES["high_void"] if inst["voiding"] else RATES["void"])
        reviewer = {"account_id": digest("acct", inst["id"], "reviewer"), "username": f"sh{inst['index']:03d}",
                    "roles": ["reviewer"]}
        act = {"id": digest("act", record["id"], "rv"), "at": to_wire(reviewed), "by": reviewer}
        reason = "记录与现场情况不符" if void else None
        copy_.update(status="voided" if void else "reviewed", updated_at=reviewed,
                     review={"act_id": act["id"], "at": reviewed, "by": reviewer, "reason": reason,
                             "decision": "void" if void else "confirm"})
        self._at(reviewed, envelope("record.voided" if void else "record.review_confirmed", "confirmation",
                                    record["id"], {"record": self.p.confirmation_fact(copy_, self.p.deadline),
                                                   "act": act}, reviewed, reviewer))
        return reviewed if void else None

    def _report(self, rng, task, record, performed_on):
        """The report a comparison or periodic check expects: on time, late, or missing (tasks
        announces report.missing the day after the obligation's deadline) and maybe late after."""
        from tasks.domain.obligations import report_obligation
        from tasks.domain.reports import UploadDeadline
        ob = report_obligation(record["id"], record["form_kind"], performed_on)
        issued = performed_on + timedelta(days=rng.randint(0, 3))
        due = UploadDeadline().due(issued)
        r = rng.random()
        if r < RATES["report_missing"]:
            uploaded_on = None if rng.random() >= RATES["missing_then_uploaded"] else \
                ob.due_date + timedelta(days=rng.randint(3, 40))
        elif r < RATES["report_missing"] + RATES["report_late"]:
            uploaded_on = due.date + timedelta(days=rng.randint(1, 20))
        else:
            uploaded_on = issued + timedelta(days=rng.randint(0, max(0, (due.date - issued).days - 1)))
        if uploaded_on is None or uploaded_on > ob.due_date:
            at = local(ob.due_date + timedelta(days=1), 0.1)
            data = {"id": ob.id, "task_id": task["id"], "institution_id": task["institution_id"],
                    "enterprise_id": task["enterprise_id"], "outlet_id": record["outlet_id"],
                    "district": task["district"], "report_kind": ob.report_kind, "form_kind": ob.form_kind,
                    "record_id": ob.record_id, "issued_on": ob.issued_on.isoformat(),
                    "due_date": ob.due_date.isoformat(), "due_provisional": ob.due_provisional}
            self._at(at, envelope("report.missing", "tasks", ob.id, {"report_obligation": data}, at))
        if uploaded_on is None:
            return
        at = local(uploaded_on, 9 + rng.random() * 8)
        inst = task["institution"]
        admin = {"account_id": digest("acct", inst["id"], "admin"), "username": f"jg{inst['index']:03d}",
                 "roles": ["institution_admin"]}
        late = working_days_between(due.date, uploaded_on) if uploaded_on > due.date else 0
        report = {"id": digest("report", record["id"]), "number": f"BG{YEAR}{digest(record['id'], n=10)}",
                  "kind": ob.report_kind, "task_id": task["id"], "performed_on": performed_on, "issued_on": issued,
                  "record_ids": [record["id"]], "description": None, "institution_id": task["institution_id"],
                  "enterprise_id": task["enterprise_id"], "district": task["district"], "task_name": task["name"],
                  "file_id": digest("file", record["id"]), "file_name": "report.pdf", "content_type": "application/pdf",
                  "size": 183_214, "sha256": digest("sha", record["id"], n=32) * 2, "due": due.date,
                  "due_provisional": due.provisional, "late": uploaded_on > due.date, "uploaded_at": at,
                  "uploaded_by": admin, "obligation_id": ob.id, "obligation_ids": [ob.id],
                  "due_date": due.date.isoformat(), "late_working_days": late}
        self._at(at, envelope("report.uploaded", "tasks", report["id"],
                              {"report": self.p.report_view(to_document(report))}, at, admin))


def _poisson(rng, lam):
    """Knuth's: small rates only (on-demand forms per outlet and day)."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# ---------------------------------------------------------------------- the service

class QueryLog:
    """The service's database, which notes the shape of every query while `on` (collection,
    operation, filter keys and operators, sort), one example each, for the plans at the end."""

    OPS = ("find", "find_one", "count_documents", "update_one", "update_many", "delete_one", "delete_many",
           "find_one_and_update", "replace_one", "aggregate")

    def __init__(self, db):
        self._db, self.on, self.seen = db, False, {}

    def __getitem__(self, name):
        return _Logged(self._db[name], name, self) if self.on else self._db[name]

    def __getattr__(self, name):
        return getattr(self._db, name)


class _Logged:
    def __init__(self, col, name, log):
        self._col, self._name, self._log = col, name, log

    def __getattr__(self, attr):
        real = getattr(self._col, attr)
        if attr not in QueryLog.OPS:
            return real

        def call(*args, **kwargs):
            filter_ = args[0] if args else kwargs.get("filter", {})
            sort = kwargs.get("sort")
            result = real(*args, **kwargs)
            if attr == "find":
                return _LoggedCursor(result, self, filter_)
            self._note(attr, filter_, sort)
            return result
        return call

    def _note(self, op, filter_, sort):
        key = (self._name, op, repr(_shape(filter_)), repr(sort))
        self._log.seen.setdefault(key, (self._name, op, filter_, sort))


class _LoggedCursor:
    """A find's cursor: its sort is known once sort() was called, so the query is noted when
    the cursor is first read."""

    def __init__(self, cursor, logged, filter_):
        self._cursor, self._logged, self._filter, self._sort, self._noted = cursor, logged, filter_, None, False

    def sort(self, *args, **kwargs):
        self._sort = args[0] if args and isinstance(args[0], list) else list(args) or kwargs
        self._cursor.sort(*args, **kwargs)
        return self

    def limit(self, n):
        self._cursor.limit(n)
        return self

    def __iter__(self):
        if not self._noted:
            self._logged._note("find", self._filter, self._sort)
            self._noted = True
        return iter(self._cursor)

    def __getattr__(self, attr):
        return getattr(self._cursor, attr)


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value and isinstance(value[0], dict) else "[…]"
    return "?"


def _routes(service_class):
    """{(source, event type): [handler names]}: the service's nameko event handlers, as the broker
    would route events to them."""
    from nameko.events import EventHandler
    out = defaultdict(list)
    for name in dir(service_class):
        method = getattr(service_class, name, None)
        for ep in getattr(method, "nameko_entrypoints", ()) or ():
            if isinstance(ep, EventHandler):
                out[(ep.source_service, ep.event_type)].append(name)
    return out


class RoundTrips:
    """Counts the commands every client of this process sends to the store (pymongo's command
    monitoring): the store round trips one fact costs, by kind."""

    WRITES = {"insert", "update", "delete", "findAndModify"}

    def __init__(self):
        from pymongo import monitoring
        self.total, self.writes = 0, 0

        class Listener(monitoring.CommandListener):
            def started(inner, event):
                self.total += 1
                if event.command_name in self.WRITES:
                    self.writes += 1

            def succeeded(inner, event):
                pass

            def failed(inner, event):
                pass
        monitoring.register(Listener())


ROUND_TRIPS = None


class Credit:
    """The credit service's worker as nameko would make it for one event, without the broker: its
    handlers called with the event, its own store, a clock at the event's time, and its emitter
    writing credit's events to its outbox (counted, not sent)."""

    def __init__(self, db):
        from credit.service import CreditService
        from emss_common.nameko_deps import Emitter
        self.log = QueryLog(db)
        self.clock = FrozenClock(datetime(YEAR, 1, 1, tzinfo=timezone.utc))
        self.emitted = Counter()
        self.svc = CreditService()
        self.svc.db, self.svc.clock, self.svc.config = self.log, self.clock, {}
        self.svc.events = Emitter("credit", self.svc, lambda type_, event: self.emitted.update([type_]),
                                  "db", "clock")
        self.routes = _routes(CreditService)
        self.unrouted, self.failures = Counter(), []

    def ctx(self):
        from emss_common.context import Context
        return Context(self.svc.db, self.clock, self.svc.events, self.svc.config)

    def ingest(self, event):
        """Every handler the event is routed to; the seconds spent in them."""
        handlers = self.routes.get((event["source"], event["type"]))
        if not handlers:
            self.unrouted[event["type"]] += 1
            return 0.0
        self.clock.set(event["occurred_at"])
        t = time.perf_counter()
        for name in handlers:
            try:
                getattr(self.svc, name)(event)
            except Exception as exc:   # kept for retry by the service (redelivery); counted here
                self.failures.append((event["type"], repr(exc)))
        return time.perf_counter() - t

    def tick(self):
        """The time-based checks (idle tasks, follow-ups whose hours are over), as the timer runs them."""
        from credit.usecases.engine import Engine
        Engine(self.ctx()).tick()

    def sweep(self, start, end, at):
        """A regulator's sweep over [start, end], advanced slice by slice to its end; the job."""
        from credit.usecases import sweeps
        from emss_common.actor import Actor
        self.clock.set(at)
        regulator = Actor.from_dict({"account_id": "a-city", "username": "city", "roles": ["regulator"],
                                     "district": "全市"})
        job = sweeps.start_sweep(self.ctx(), regulator, {"start": start.isoformat(), "end": end.isoformat()})
        phases = sweeps._phases(start, end)
        self.sweep_phases = {name: [self.svc.db[col].count_documents(q), 0.0] for name, col, q, _ in phases}
        while job["status"] != "done":
            # a slice may finish one phase and begin the next: its time goes to the phase it began in
            name = phases[min(job.get("phase", 0), len(phases) - 1)][0]
            t = time.perf_counter()
            job = sweeps.advance(self.ctx())
            self.sweep_phases[name][1] += time.perf_counter() - t
        return job


PROGRESS_SECONDS = float(os.environ.get("BENCH_PROGRESS_SECONDS", "60"))
STORE_OPTIONS = os.environ.get("BENCH_STORE_OPTIONS", "")   # e.g. retryWrites=false, for the bench's own server


def progress(share, count, ingest, event, window):
    """A line on stderr while a share is fed: how far, and the recent cost by event type."""
    n = sum(v[0] for v in window.values())
    s = sum(v[1] for v in window.values())
    top = sorted(window.items(), key=lambda kv: -kv[1][1])[:4]
    print(f"  [{share * 100:g} %] {count:,} facts, at {event['occurred_at'][:10]}, {ingest:.0f} s in handlers; "
          f"last {n:,}: {1000 * s / max(n, 1):.1f} ms/fact ("
          + ", ".join(f"{t} {1000 * v[1] / v[0]:.1f}" for t, v in top) + ")", file=sys.stderr, flush=True)


def indexes_declared():
    """The indexes credit's Store creates at start; the facts' and sweeps' own declarations are
    added where the service does not merge them yet (named in the output)."""
    from credit.service import CreditService
    from credit.usecases import facts, sweeps
    from emss_common.store import merge_indexes
    declared = CreditService.db.indexes
    missing = {c: specs for part in (facts.INDEXES, sweeps.INDEXES) for c, specs in part.items() if c not in declared}
    return merge_indexes(declared, missing), sorted(missing)


def wire(event):
    """The event as a handler receives it from the broker (JSON)."""
    return json.loads(json.dumps(event, ensure_ascii=False))


def store_mb(db, server):
    if server is not None:
        out = subprocess.run(["du", "-sk", server.storage_path], capture_output=True, text=True).stdout
        return int(out.split()[0]) / 1024 if out else float("nan")
    try:
        stats = db.command("dbStats")
        return (stats.get("dataSize", 0) + stats.get("indexSize", 0)) / 2 ** 20
    except Exception:
        return float("nan")


def cpu_seconds(pid=None):
    """User + system CPU seconds of a process (this one by default), from /proc."""
    try:
        with open(f"/proc/{pid or 'self'}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def warnings_by_rule(db):
    counts = Counter()
    for w in db["warnings"].find({}, {"_id": 0, "rule": 1, "status": 1}):
        counts[w["rule"]] += 1
    return counts


def fit(shares, values):
    """Least squares on log-log: (slope, value at 100 %). With one point, linear growth is assumed."""
    pts = [(math.log(s), math.log(v)) for s, v in zip(shares, values) if v > 0]
    if len(pts) < 2:
        return 1.0, values[-1] / shares[-1] if pts else float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else 1.0
    return slope, math.exp(my + slope * (0 - mx))


def explain_all(db, seen):
    """Each noted query shape explained on the final data: (collection, op, shape, indexes, note).

    SecantusDB's explain mirrors only part of its executor: a filter with more fields than an
    index covers is reported as COLLSCAN although the executor looks up its first indexed clause
    alone and checks the rest (storage._try_index_id_keys); a filter with a top-level operator
    ($or, $and) is scanned in both. Where explain says COLLSCAN on SecantusDB, the clause lookup
    is explained the same way the executor tries it, and said so."""
    from tests.query_plans import index_names, sorts_in_memory_allowed, stages, winning_plan
    out = []
    for (name, op, shape, _), (_, _, filter_, sort) in sorted(seen.items()):
        if op == "aggregate":
            out.append((name, op, "pipeline", "—", "not explained (aggregate)"))
            continue
        try:
            explained = _explain(db[name], filter_, sort)
        except Exception as exc:
            out.append((name, op, shape, "—", f"explain failed: {exc!r}"[:80]))
            continue
        plan = winning_plan(explained)
        kinds = [s["stage"] for s in stages(plan)]
        names = ", ".join(dict.fromkeys(n for n in index_names(plan) if n))
        note = "+ in-memory sort" if "SORT" in kinds else ""
        if "COLLSCAN" in kinds:
            note = "COLLECTION SCAN"
            if sorts_in_memory_allowed(explained) and not any(k.startswith("$") for k in filter_ or {}):
                for field, clause in (filter_ or {}).items():
                    clause_plan = winning_plan(_explain(db[name], {field: clause}, None))
                    found = [n for n in index_names(clause_plan) if n]
                    if found:
                        names, note = found[0], f"on its {field} clause"
                        break
        out.append((name, op, shape, names or "—", note))
    return out


def _explain(col, filter_, sort):
    cursor = col.find(filter_ or {})
    if sort:
        cursor = cursor.sort(list(sort.items()) if isinstance(sort, dict) else sort)
    return cursor.explain()


def main():
    from emss_common.store import client_for, ensure_indexes
    from emss_common.storeserver import StoreServer, free_port
    began = time.monotonic()
    print("Supervision benchmark: the credit service's ingestion (its own event handlers: processed-event claim,")
    print("fact keeping, the rules each fact concerns, warnings written with their events to its outbox) and its")
    print("full-year sweep, against the store over the wire. Not the broker: events are handed to the handlers")
    print("directly and credit's own events are counted in its outbox, not relayed.")
    print("load average (1/5/15 min): %.1f %.1f %.1f on %d cores; budget %.0f s; shares %s; seed %d" % (
        *os.getloadavg(), os.cpu_count(), BUDGET, ",".join(f"{s:g}" for s in SHARES), SEED))
    global ROUND_TRIPS
    ROUND_TRIPS = RoundTrips()   # before the first client: listeners are fixed when a client is made
    server, tmp = None, None
    uri = os.environ.get("MONGO_URI")
    if not uri:
        tmp = tempfile.mkdtemp(prefix="emss-supervision-bench-")
        server = StoreServer(os.path.join(tmp, "data"), port=free_port(), log_path=os.path.join(tmp, "store.log")).start()
        uri = server.uri + (("&" if "?" in server.uri else "?") + STORE_OPTIONS if STORE_OPTIONS else "")
    print(f"store: {'SecantusDB started by the bench (fsync on every acknowledged write)' if server else uri}; "
          f"client options: {STORE_OPTIONS or 'as the services use them'}")
    try:
        run(client_for(uri), server, began)
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def run(client, server, began):
    from emss_common.store import ensure_indexes
    client.drop_database("emss_credit_bench")
    db = client["emss_credit_bench"]
    declared, added = indexes_declared()
    ensure_indexes(db, declared)
    if added:
        print(f"note: credit's Store does not declare {', '.join(added)} yet; the bench creates their indexes "
              "as facts.py / sweeps.py declare them")
    city = City(SEED)
    producers = Producers()
    outlets = sum(len(t["outlets"]) for t in city.tasks)
    staff = sum(len(i["staff"]) for i in city.institutions)
    print(f"city: {INSTITUTIONS} institutions ({staff} staff), {TASKS} tasks, {outlets} outlets; a whole year "
          f"({YEAR}) holds ≈ {city.expected_records():,.0f} records (estimated from every 4th task)")
    credit = Credit(db)
    facts_routes = [t for t in ("record.submitted", "record.enterprise_confirmed", "occurrence.missed", "report.uploaded")
                    if not any(k[1] == t for k in credit.routes)]
    if facts_routes:
        print(f"WARNING: credit has no handler for {', '.join(facts_routes)}: those events are counted, not ingested")
    print()
    print(f"{'share':>6} {'tasks':>5} {'records':>9} {'facts':>10} {'ingest s':>9} {'facts/s':>8} {'ms/fact':>8} "
          f"{'sweep s':>8} {'subjects':>9} {'tick s':>7} {'warnings':>9} {'store MB':>9} {'load':>5}")
    rows, done_tasks, per_type = [], 0, defaultdict(lambda: [0, 0.0, 0, 0])
    cum = Counter()
    for share in SHARES:
        n = city.share_tasks(share)
        if n <= done_tasks:
            continue
        elapsed = time.monotonic() - began
        if rows:
            last = rows[-1]
            wall_per_task = last["wall_ingest"] / last["new_tasks"]
            guess = wall_per_task * (n - done_tasks) + (last["sweep_s"] + last["tick_s"]) * n / last["tasks"]
            if elapsed + guess > BUDGET:
                print(f"{share * 100:5.3g}% not started: ≈ {guess:.0f} s more would pass the budget "
                      f"({elapsed:.0f} s spent of {BUDGET:.0f} s)")
                break
        credit.log.on = not rows      # the first share's queries are noted for the plans
        year = Year(city, producers, done_tasks, n)
        t_wall, ingest, count, over = time.monotonic(), 0.0, 0, False
        shown, window = time.monotonic(), defaultdict(lambda: [0, 0.0, 0, 0])
        for event in year:
            event = wire(event)
            trips, writes = ROUND_TRIPS.total, ROUND_TRIPS.writes
            spent = credit.ingest(event)
            ingest += spent
            count += 1
            for table in (per_type, window):
                row = table[event["type"]]
                row[0] += 1
                row[1] += spent
                row[2] += ROUND_TRIPS.total - trips
                row[3] += ROUND_TRIPS.writes - writes
            if count % 500 == 0:
                if time.monotonic() - began > BUDGET * 1.1:
                    over = True
                    break
                if time.monotonic() - shown > PROGRESS_SECONDS:
                    progress(share, count, ingest, event, window)
                    shown, window = time.monotonic(), defaultdict(lambda: [0, 0.0, 0, 0])
        if over:
            print(f"{share * 100:5.3g}% stopped after {count:,} facts: past the budget; not counted")
            break
        wall_ingest = time.monotonic() - t_wall
        cum.update(year.counts)
        horizon = datetime(YEAR + 1, 3, 1, tzinfo=timezone.utc)
        credit.clock.set(horizon)
        t = time.perf_counter()
        credit.tick()
        tick_s = time.perf_counter() - t
        t = time.perf_counter()
        job = credit.sweep(date(YEAR, 1, 1), date(YEAR, 12, 31), horizon)
        sweep_s = time.perf_counter() - t
        credit.log.on = False
        total_ingest = (rows[-1]["ingest_cum"] if rows else 0.0) + ingest
        total_facts = (rows[-1]["facts"] if rows else 0) + count
        wcount = warnings_by_rule(db)
        row = {"share": share, "tasks": n, "new_tasks": n - done_tasks, "records": cum["record.submitted"],
               "facts": total_facts, "step_facts": count, "step_ingest": ingest, "ingest_cum": total_ingest,
               "wall_ingest": wall_ingest, "sweep_s": sweep_s, "subjects": job["done"], "tick_s": tick_s,
               "sweep_raised": job.get("raised", 0), "warnings": sum(wcount.values()), "by_rule": wcount,
               "store": store_mb(db, server)}
        rows.append(row)
        done_tasks = n
        print(f"{share * 100:5.3g}% {n:>5} {row['records']:>9,} {total_facts:>10,} {total_ingest:>9.1f} "
              f"{count / ingest if ingest else float('nan'):>8.0f} {1000 * ingest / max(count, 1):>8.2f} "
              f"{sweep_s:>8.1f} {job['done']:>9,} {tick_s:>7.1f} {row['warnings']:>9,} {row['store']:>9.0f} "
              f"{os.getloadavg()[1]:>5.1f}",
              flush=True)
    if not rows:
        print("no share fitted the budget")
        return
    report(rows, per_type, cum, credit, city)
    wall = time.monotonic() - began
    print(f"\nCPU over the run ({wall:.0f} s wall, 2 cores): the bench process (generator and credit's handlers) "
          f"{cpu_seconds():.0f} s, the store server {cpu_seconds(server.pid) if server else float('nan'):.0f} s")


def report(rows, per_type, cum, credit, city):
    last = rows[-1]
    print()
    print("facts/s is of that share's step (the tasks it added, with the store holding the shares before it);")
    print("ingest s is cumulative; sweep s is the regulator's sweep over the whole year (start + every slice);")
    print("tick s is one run of the time-based checks at the year's end; subjects: what the sweep judged;")
    print("load: the machine's 5-minute load average when the share was done (2 cores; the bench and its store")
    print("server account for about 1.5 of it).")
    print()
    print("Facts of all shares by event type: how many, mean ms in credit's handlers, share of the time, and the")
    print("store round trips each took (commands; of them writes, each fsync'ed by SecantusDB):")
    whole = sum(v[1] for v in per_type.values())
    for type_, (n, s, trips, writes) in sorted(per_type.items(), key=lambda kv: -kv[1][1]):
        print(f"  {type_:<30} {n:>9,}  {1000 * s / n:7.2f} ms  {100 * s / whole:5.1f} %   "
              f"{trips / n:5.1f} round trips ({writes / n:4.1f} writes)")
    if credit.unrouted:
        print(f"  not routed to any credit handler: {dict(credit.unrouted)}")
    if credit.failures:
        print(f"  handler failures: {len(credit.failures)}; first: {credit.failures[0]}")
    print(f"credit's own events written to its outbox: {dict(credit.emitted) or 'none'}")
    wall = sum(r["wall_ingest"] for r in rows)
    print(f"the bench's own part (making the events, JSON) took {wall - last['ingest_cum']:.0f} s of the "
          f"{wall:.0f} s of feeding; only the handlers' time counts as ingestion")
    print()
    print("The last sweep by phase (subjects, seconds, ms per subject):")
    for name, (n, secs) in credit.sweep_phases.items():
        print(f"  {name:<12} {n:>9,}  {secs:8.1f} s  {1000 * secs / n if n else 0:6.2f} ms")
    print()
    print(f"Warnings after the largest share, by rule ({last['warnings']:,}; the last sweep raised "
          f"{last['sweep_raised']} the incremental path had not):")
    for rule, n in last["by_rule"].most_common():
        print(f"  {rule:<32} {n:>7,}")
    print()
    shares = [r["share"] for r in rows]
    print(f"Growth from {shares[0] * 100:g} % to {shares[-1] * 100:g} % of the year (least squares on log-log; "
          "slope 1 = linear), extrapolated to 100 %:")
    for label, key, unit in (("ingestion, cumulative", "ingest_cum", "s"), ("full-year sweep", "sweep_s", "s"),
                             ("time-based tick", "tick_s", "s"), ("facts", "facts", ""), ("store", "store", "MB")):
        values = [r[key] for r in rows]
        if any(v != v for v in values):
            continue
        slope, at_full = fit(shares, values)
        shown = " → ".join(f"{v:,.1f}" for v in values)
        extra = f"  ({at_full / 3600:.1f} h)" if unit == "s" and at_full > 3600 else ""
        print(f"  {label:<24} {shown:<40} slope {slope:5.2f}   100 % ≈ {at_full:,.0f} {unit}{extra}")
    steps = [r["step_facts"] / r["step_ingest"] for r in rows if r["step_ingest"]]
    print(f"  facts/s per step          {' → '.join(f'{v:,.0f}' for v in steps)}")
    slope, full = fit(shares, [r["ingest_cum"] for r in rows])
    facts_full = fit(shares, [r["facts"] for r in rows])[1]
    print(f"  a whole year: ≈ {facts_full:,.0f} facts in ≈ {full / 3600:.1f} h of ingestion "
          f"(≈ {facts_full / full:,.0f} facts/s on average; a year's facts arrive at ≈ {facts_full / (365 * 86400):.2f}/s)")
    print()
    print("Query plans of the queries credit ran in the first share (ingest, tick and sweep), explained on the final data:")
    for name, op, shape, names, note in explain_all(credit.log._db, credit.log.seen):
        print(f"  {name:<18} {op:<19} {names:<36} {note:<16} {shape[:110]}")


if __name__ == "__main__":
    main()
