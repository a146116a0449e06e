"""How the store's cost grows with data: SecantusDB (the embedded default, pymongo over the wire) with
fieldrecords' and confirmation's declared indexes, on copies of a submitted record, at 1k, 10k,
100k and 300k records (BENCH_SIZES). Each level is measured through the services' own use cases:
find by id, insert, update, the regulator's district list (first page and the next), the
confirmation day list, one reconciliation round from a watermark (what start-up does), a restart of
the store server, its memory and its disk.

Prints numbers and a growth table; asserts nothing. Run: `.venv/bin/python bench/store_bench.py`
(BENCH_SIZES=1000,10000 for a quick look). The old engine (mongomock with a journal) is gone from
the code; its numbers, measured on this machine before it was replaced, are printed beside the new.
"""
import copy
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import bson  # noqa: E402

from emss_common.actor import Actor  # noqa: E402
from emss_common.clock import FrozenClock  # noqa: E402
from emss_common.context import Context  # noqa: E402
from emss_common.reconciliation import export_page, indexes  # noqa: E402
from emss_common.store import client_for, ensure_indexes, merge_indexes  # noqa: E402
from emss_common.storeserver import StoreServer, free_port  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,100000,300000").split(",")]
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "100"))
SHANGHAI_YEAR = 2_000_000
DISTRICTS = ("浦东新区", "闵行区", "嘉定区", "松江区", "青浦区", "奉贤区", "金山区", "宝山区",
             "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "黄浦区", "崇明区")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=365)
PER_HOUR = 228      # 2M records a year is about 228 an hour, day and night

# The old engine, from issue 9 (same machine, same record): records → (find_one ms, insert/s,
# district page ms, journal replay s, memory MB).
OLD = {1000: (1.4, 174, 10, 0.05, 62), 10_000: (18, 15, 131, 0.9, 238), 100_000: (282, 1.3, 1900, 14, 2000),
       300_000: (618, 0.46, 4700, 53, 5900)}

REGULATOR = Actor.from_dict({"account_id": "a-reg", "username": "pudong", "roles": ["regulator"],
                             "district": DISTRICTS[0]})


class Emitted:
    def emit(self, *args, **kwargs):
        pass


def template_record():
    """A submitted record as fieldrecords stores it (content from the forms catalogue's samples)."""
    from services.fieldrecords.tests.conftest import DEVICE
    from services.fieldrecords.tests.form_samples import sample_content
    device = dict(DEVICE)
    return {"status": "submitted", "form_kind": "fg_calibration", "form_name": "校准",
            "outlet_kind": "flue_gas", "outlet_name": "1#锅炉排口", "enterprise_name": "上海东方化工有限公司",
            "institution_name": "上海清源环境运维有限公司", "task_name": "东方化工废水运维",
            "content": sample_content("fg_calibration", [device]),
            "devices": [device], "device_ids": ["d1"], "passed": True, "failures": [], "flags": [],
            "filer": {"account_id": "a-f0", "username": "zhaoqiang", "staff_id": "s0", "name": "赵强"},
            "check_in": {"at": None, "wgs84": {"lng": 121.5453, "lat": 31.2212}, "distance_m": 3.2,
                         "accuracy": 15.0, "address": "上海市浦东新区张江路 1 号"},
            "check_out": {"at": None, "wgs84": {"lng": 121.5455, "lat": 31.2213}, "distance_m": 2.9,
                          "accuracy": 12.0},
            "signature": {"file_id": "f" * 24, "sha256": "0" * 64}, "description": "巡检正常，无异常情况。",
            "version": 2}


def field_record(tpl, n):
    at = T0 + timedelta(seconds=n * 3600 // PER_HOUR)
    doc = copy.copy(tpl)
    doc.update(id=f"r{n:08d}", number=f"YW{n:010d}", submission_id=f"s{n}", district=DISTRICTS[n % 16],
               institution_id=f"i{n % 40}", enterprise_id=f"e{n % 2000}", task_id=f"t{n % 2000}",
               outlet_id=f"o{n % 5000}", performed_at=at, submitted_at=at + timedelta(minutes=30),
               updated_at=at + timedelta(minutes=30), performed_on=(at + timedelta(hours=8)).date().isoformat(),
               filer={**tpl["filer"], "account_id": f"a-f{n % 300}"})
    return doc


def confirmation_copy(record):
    return {"id": record["id"], "number": record["number"], "task_id": record["task_id"],
            "institution_id": record["institution_id"], "enterprise_id": record["enterprise_id"],
            "enterprise_name": record["enterprise_name"], "district": record["district"],
            "outlet_id": record["outlet_id"], "outlet_name": record["outlet_name"],
            "form_kind": record["form_kind"], "form_name": record["form_name"],
            "performed_at": record["performed_at"], "performed_on": record["performed_on"],
            "submitted_at": record["submitted_at"], "day": record["performed_on"], "filer": record["filer"],
            "devices": record["devices"], "check_in": record["check_in"], "status": "reviewed",
            "late": False, "overdue": False, "flags": [], "updated_at": record["updated_at"], "version": 3}


EXTRA = iter(range(10 ** 9, 2 * 10 ** 9))   # ids of the records the insert probe adds


def ms(fn, n=SAMPLES):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def disk_mb(path):
    return int(subprocess.run(["du", "-sk", path], capture_output=True, text=True).stdout.split()[0]) / 1024


def load(dbs, tpl, start, end):
    batch = 1000
    for lo in range(start, end, batch):
        rows = [field_record(tpl, n) for n in range(lo, min(end, lo + batch))]
        dbs["fieldrecords"]["records"].insert_many(rows, ordered=False)
        dbs["confirmation"]["records"].insert_many([confirmation_copy(r) for r in rows], ordered=False)


def measure(n, server, dbs, tpl):
    from confirmation.usecases import records as confirmation_records
    from fieldrecords.usecases import records as field_records
    from fieldrecords.usecases.exports import EXPORTS
    latest = T0 + timedelta(seconds=n * 3600 // PER_HOUR)
    clock = FrozenClock(latest + timedelta(hours=1))
    fr_ctx = Context(dbs["fieldrecords"], clock, Emitted(), {})
    cf_ctx = Context(dbs["confirmation"], clock, Emitted(), {})
    col = dbs["fieldrecords"]["records"]
    ids = [f"r{random.randrange(n):08d}" for _ in range(SAMPLES)]
    it = iter(ids * 3)
    out = {"find": ms(lambda: col.find_one({"id": next(it)}, {"_id": 0}))}

    def insert():
        doc = field_record(tpl, next(EXTRA))
        doc.update(performed_at=latest, submitted_at=latest)
        col.insert_one(doc)
    out["insert"] = 1000 / ms(insert)
    out["update"] = ms(lambda: col.update_one({"id": next(it)}, {"$set": {"flags_checked": True},
                                                                 "$inc": {"version": 1}}))
    first = field_records.list_records(fr_ctx, REGULATOR, {"size": 20})
    out["district"] = ms(lambda: field_records.list_records(fr_ctx, REGULATOR, {"size": 20}), 20)
    out["district_next"] = ms(lambda: field_records.list_records(fr_ctx, REGULATOR,
                                                                 {"size": 20, "after": first["next"]}), 20)
    enterprise = Actor.from_dict({"account_id": "a-e", "username": "ent", "roles": ["enterprise_user"],
                                  "enterprise_id": f"e{(n - 1) % 2000}"})
    day = (latest + timedelta(hours=8)).date().isoformat()
    out["day_list"] = ms(lambda: confirmation_records.day_records(cf_ctx, enterprise, day), 20)
    # Start-up's reconciliation round: from a watermark an hour back, a page of what changed since.
    mark = {"at": (latest - timedelta(hours=1)).isoformat(), "id": ""}
    out["reconcile"] = ms(lambda: export_page(dbs["fieldrecords"], EXPORTS, "records", mark, 200, clock.now()), 10)
    out["rss"] = rss_mb(server.pid)
    t = time.perf_counter()
    server.stop()
    server.start()
    out["restart"] = time.perf_counter() - t
    out["disk"] = disk_mb(server.storage_path)
    return out


def growth(values, sizes):
    """The log-log slope between the smallest and the largest level: 0 flat, 1 linear."""
    a, b = values[0], values[-1]
    if a <= 0 or b <= 0 or sizes[-1] == sizes[0]:
        return float("nan"), "—"
    slope = math.log(b / a) / math.log(sizes[-1] / sizes[0])
    ratio = b / a
    kind = "flat" if ratio <= 2 else ("log" if slope < 0.3 else ("sub-linear" if slope < 0.8 else "linear"))
    return slope, f"{kind} (×{ratio:.1f})"


def main():
    from confirmation.storage import INDEXES as CONFIRMATION_INDEXES
    from fieldrecords.storage import INDEXES as FIELD_INDEXES
    from fieldrecords.usecases.exports import EXPORTS
    random.seed(9)
    tmp = tempfile.mkdtemp(prefix="emss-store-bench-")
    server = StoreServer(os.path.join(tmp, "data"), port=free_port(), log_path=os.path.join(tmp, "store.log")).start()
    print("load average (1/5/15 min): %.1f %.1f %.1f on %d cores" % (*os.getloadavg(), os.cpu_count()))
    try:
        client = client_for(server.uri)
        dbs = {"fieldrecords": client["emss_fieldrecords"], "confirmation": client["emss_confirmation"]}
        field_indexes = merge_indexes(FIELD_INDEXES, indexes(EXPORTS))   # as its Store declares them
        ensure_indexes(dbs["fieldrecords"], field_indexes)
        ensure_indexes(dbs["confirmation"], CONFIRMATION_INDEXES)
        tpl = template_record()
        sample = field_record(tpl, 0)
        print(f"record: {len(bson.encode(sample)) / 1024:.1f} KB BSON; {len(field_indexes['records'])} indexes on "
              f"fieldrecords.records, {len(CONFIRMATION_INDEXES['records'])} on confirmation.records")
        rows, done = [], 0
        for n in SIZES:
            t = time.perf_counter()
            load(dbs, tpl, done, n)
            load_s = time.perf_counter() - t
            done = n
            m = measure(n, server, dbs, tpl)
            m["load_rate"] = (n - (rows[-1][0] if rows else 0)) / load_s
            rows.append((n, m))
            print(f"{n:>8} records  find {m['find']:6.2f} ms  insert {m['insert']:6.0f}/s  update {m['update']:6.2f} ms  "
                  f"district page {m['district']:7.1f} ms (next {m['district_next']:7.1f})  "
                  f"day list {m['day_list']:6.1f} ms  reconcile page {m['reconcile']:6.1f} ms  "
                  f"restart {m['restart']:5.1f} s  store RSS {m['rss']:6.0f} MB  disk {m['disk']:7.0f} MB  "
                  f"(loaded at {m['load_rate']:.0f} records/s)", flush=True)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    sizes = [n for n, _ in rows]
    print(f"\nGrowth from {sizes[0]} to {sizes[-1]} records (log-log slope; ×: largest / smallest), "
          f"and a Shanghai year ({SHANGHAI_YEAR:,} records) extrapolated along that slope:")
    table = (("find by id, ms", "find", 2), ("insert, ms", "insert", 2), ("update, ms", "update", 2),
             ("district page, ms", "district", 3), ("district next page, ms", "district_next", 3),
             ("confirmation day list, ms", "day_list", 3), ("reconciliation page, ms", "reconcile", 3),
             ("store restart, s", "restart", None), ("store RSS, MB", "rss", None), ("disk, MB", "disk", None))
    for label, key, goal in table:
        values = [m[key] for _, m in rows]
        if key == "insert":
            values = [1000 / v for v in values]   # as a latency, so "grows" reads the same way
        slope, kind = growth(values, sizes)
        year = values[-1] * (SHANGHAI_YEAR / sizes[-1]) ** slope if not math.isnan(slope) else float("nan")
        verdict = "" if goal is None else ("  goal met" if values[-1] <= goal * values[0] else f"  goal ×{goal} missed")
        print(f"  {label:<28} {' → '.join(f'{v:.2f}' for v in values):<48} {kind:<20} year ≈ {year:9.2f}{verdict}")
    old = [(n, OLD[n]) for n in sizes if n in OLD]
    if old:
        print("\nThe old engine at the same sizes (issue 9, before it was removed): find / insert / district page / "
              "replay / memory")
        for n, (find, ins, page, replay, mem) in old:
            new = dict(rows)[n]
            print(f"  {n:>8}: {find:7.1f} ms / {ins:6.2f}/s / {page:7.0f} ms / {replay:5.1f} s / {mem:5.0f} MB"
                  f"   now {new['find']:.2f} ms / {new['insert']:.0f}/s / {new['district']:.1f} ms / "
                  f"restart {new['restart']:.1f} s / {new['rss']:.0f} MB")


if __name__ == "__main__":
    main()
