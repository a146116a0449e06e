"""One sweep page on the embedded store (SecantusDB): the old page (a range with sort and limit over
the rest of the period) against the day-by-day page credit uses (usecases/sweeps.py), at 10k and 40k
kept records spread over a year. Prints the time of a page of 500; nothing is asserted."""
import os
import tempfile
import time
from datetime import date, timedelta
from emss_common.storeserver import StoreServer, free_port
from pymongo import MongoClient, ASCENDING
from credit.usecases import sweeps

def old_page(col, query, sort, limit):
    return list(col.find(query, {"_id": 0}).sort([(sort, 1), ("id", 1)]).limit(limit))

where = tempfile.mkdtemp()
srv = StoreServer(os.path.join(where, "d"), port=free_port(), log_path=os.path.join(where, "l")).start()
col = MongoClient(srv.uri)["probe"]["fact_records"]
col.create_index([("performed_on", ASCENDING), ("id", ASCENDING)])
n = 0
q = {"performed_on": {"$gte": "2026-01-01", "$lte": "2026-12-31"}}
for target in (10_000, 40_000):
    batch = []
    while n < target:
        day = (date(2026, 1, 1) + timedelta(days=n % 365)).isoformat()
        batch.append({"id": f"r{n:07d}", "performed_on": day, "payload": "x" * 200}); n += 1
        if len(batch) == 1000:
            col.insert_many(batch); batch = []
    if batch: col.insert_many(batch)
    for name, fn in (("old", lambda: old_page(col, q, "performed_on", 500)),
                     ("by day", lambda: sweeps._page(col, q, "performed_on", None, 500))):
        fn()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            rows = fn()
            times.append((time.perf_counter() - t) * 1000)
        print(f"{target:>6} records  {name:7s} page of {len(rows)}: {sorted(times)[2]:8.1f} ms (median of 5)")
srv.stop()
