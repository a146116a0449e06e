"""Through the gateway, as data grows: record by id, the regulator's district list, check-in and
submit with 1k, 10k and 100k records in the store (BENCH_GROWTH_SIZES). Starts the whole system
(fresh vhost, its own embedded store), files real records over HTTP, then fills the store with
copies of a real submitted record (fieldrecords and confirmation alike) spread over the past year
and times each request at each size. Prints numbers; asserts nothing.

    .venv/bin/python bench/gateway_growth_bench.py
"""
import copy
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import field_bench as fb  # noqa: E402  (its world, phone steps and HTTP client)
from run_all import start_all, stop_all, wait_healthy  # noqa: E402
from emss_common.config import SERVICES  # noqa: E402
from emss_common.store import client_for  # noqa: E402
from tests.e2e import worlds  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_GROWTH_SIZES", "1000,10000,100000").split(",")]
SAMPLES = int(os.environ.get("BENCH_GROWTH_SAMPLES", "20"))
DISTRICTS = ("浦东新区", "闵行区", "嘉定区", "松江区", "青浦区", "奉贤区", "金山区", "宝山区",
             "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "黄浦区", "崇明区")


def timed(fn, n=SAMPLES):
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000


def fill(dbs, field_tpl, confirm_tpl, start, end, now):
    """Copies numbered start..end-1, a year's spread back from now, 1 in 16 in the world's district."""
    year = 365 * 86400
    for lo in range(start, end, 1000):
        rows, copies = [], []
        for n in range(lo, min(end, lo + 1000)):
            at = now - timedelta(seconds=(n * 7919 % max(end, 1)) * year / max(end, 1) + 3600)
            doc = copy.deepcopy(field_tpl)
            doc.pop("_id", None)
            doc.update(id=f"bench{n:08d}", number=f"BENCH{n:010d}", submission_id=f"bench-{n}",
                       district=DISTRICTS[n % 16], performed_at=at, submitted_at=at, updated_at=at,
                       performed_on=(at + timedelta(hours=8)).date().isoformat())
            rows.append(doc)
            cdoc = copy.deepcopy(confirm_tpl)
            cdoc.pop("_id", None)
            cdoc.update(id=doc["id"], number=doc["number"], district=doc["district"], submitted_at=at,
                        performed_at=at, day=doc["performed_on"], performed_on=doc["performed_on"],
                        status="reviewed", updated_at=at)
            copies.append(cdoc)
        dbs["fieldrecords"]["records"].insert_many(rows, ordered=False)
        dbs["confirmation"]["records"].insert_many(copies, ordered=False)


def main():
    vhost = fb.fresh_vhost("emss-gbench")
    tmp = tempfile.mkdtemp(prefix="emss-gbench-")
    env = {"AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "EMSS_DATA_DIR": tmp,
           "GATEWAY_PORT": str(fb.free_port()), "EMSS_STORE_PORT": str(fb.free_port()),
           "EMSS_ADMIN_PASSWORD": worlds.ADMIN_PASSWORD, "EMSS_SECRET_KEY": "bench",
           **{f"METRICS_PORT_{s.upper()}": str(fb.free_port()) for s in SERVICES}}
    env.pop("MONGO_URI", None)
    os.environ.pop("MONGO_URI", None)
    print("load average (1/5/15 min): %.1f %.1f %.1f on %d cores" % (*os.getloadavg(), os.cpu_count()))
    pics = fb.Pictures()
    procs, url = start_all(env=env, log_dir=os.path.join(tmp, "logs"))
    rows = []
    try:
        wait_healthy(url, procs)
        store = dict(procs)["store"]
        client = client_for(store.uri)
        dbs = {s: client[f"emss_{s}"] for s in ("fieldrecords", "confirmation")}
        w = fb.build_world(url)
        first = fb.check_in(w, 0, fb.KINDS[0])
        fb.add_photo(w, first, pics.small())
        record_id = fb.submit(w, first)
        def copied():
            assert dbs["confirmation"]["records"].find_one({"id": record_id}) is not None
        fb._poll(copied, 30)
        field_tpl = dbs["fieldrecords"]["records"].find_one({"id": record_id})
        confirm_tpl = dbs["confirmation"]["records"].find_one({"id": record_id})
        now = datetime.now(timezone.utc)
        reg = w["regulator"]
        counter = iter(range(1, 10 ** 6))
        done = 0
        for size in SIZES:
            t = time.perf_counter()
            fill(dbs, field_tpl, confirm_tpl, done, size, now)
            filled = time.perf_counter() - t
            done = size
            ids = [f"bench{random.randrange(size) // 16 * 16:08d}" for _ in range(SAMPLES)]   # the regulator's district
            m = {"by_id": timed(lambda i: fb.ok(reg.get(f"/field-records/{ids[i]}"))),
                 "district": timed(lambda i: fb.ok(reg.get("/field-records", size=20)))}
            listed = fb.ok(reg.get("/field-records", size=20))
            m["district_next"] = timed(lambda i: fb.ok(reg.get("/field-records", size=20,
                                                               after=listed["next"])))
            drafts = []
            m["check_in"] = timed(lambda i: drafts.append(fb.check_in(w, next(counter), fb.KINDS[i % 2])))
            for d in drafts:
                fb.add_photo(w, d, pics.small())
            m["submit"] = timed(lambda i: fb.submit(w, drafts[i]), len(drafts))
            rows.append((size, m))
            print(f"{size:>7} records (+{filled:.0f} s to fill)  by id {m['by_id']:6.1f} ms  district list "
                  f"{m['district']:6.1f} ms (next {m['district_next']:6.1f})  check-in {m['check_in']:6.1f} ms  "
                  f"submit {m['submit']:6.1f} ms", flush=True)
    finally:
        stop_all(procs)
        fb.drop_vhost(vhost)
        shutil.rmtree(tmp, ignore_errors=True)
    if len(rows) > 1:
        (n0, a), (n1, z) = rows[0], rows[-1]
        print(f"\nGrowth {n0} → {n1} records (median of {SAMPLES}, sequential):")
        for key, label in (("by_id", "GET record by id"), ("district", "GET district list"),
                           ("district_next", "GET district list, next page"), ("check_in", "POST check-in"),
                           ("submit", "POST submit")):
            ratio = z[key] / a[key]
            slope = math.log(ratio) / math.log(n1 / n0) if ratio > 0 else float("nan")
            kind = "flat" if ratio <= 2 else ("log" if slope < 0.3 else ("sub-linear" if slope < 0.8 else "linear"))
            year = z[key] * (2_000_000 / n1) ** max(slope, 0)
            print(f"  {label:<32} {a[key]:7.1f} → {z[key]:7.1f} ms  {kind} (×{ratio:.1f})  "
                  f"a Shanghai year (2M) ≈ {year:7.1f} ms")


if __name__ == "__main__":
    main()
