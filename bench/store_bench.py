"""Embedded store throughput: journaled (fsync per write) vs memory-only, and replay time.

Prints numbers; asserts nothing. Run: `make bench` or `.venv/bin/python bench/store_bench.py`.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "common"))

from emss_common.embedded import open_embedded  # noqa: E402
from emss_common.store import Index, ensure_indexes  # noqa: E402

N = int(os.environ.get("BENCH_N", "2000"))


def run(label, data_dir):
    db = open_embedded("bench", data_dir)
    ensure_indexes(db, {"docs": [Index([("id", 1)], unique=True), Index([("district", 1)])]})
    col = db["docs"]
    t = time.perf_counter()
    for i in range(N):
        col.insert_one({"id": f"d{i}", "district": "浦东新区" if i % 2 else "黄浦区", "n": i,
                        "staff": [{"name": "赵强", "role": "om_staff"}] * 5})
    insert_s = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(N):
        col.update_one({"id": f"d{i}"}, {"$set": {"status": "published"}, "$inc": {"version": 1}})
    update_s = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(0, N, max(1, N // 200)):
        col.find_one({"id": f"d{i}"})
    lookups = len(range(0, N, max(1, N // 200)))
    find_s = time.perf_counter() - t
    t = time.perf_counter()
    page = list(col.find({"district": "浦东新区"}).sort([("n", -1)]).skip(20).limit(20))
    page_s = time.perf_counter() - t
    print(f"{label:<22} insert {N / insert_s:8.0f}/s  update {N / update_s:8.0f}/s  "
          f"find_one {find_s / lookups * 1000:6.2f} ms  page of {len(page)} over {N} docs {page_s * 1000:6.1f} ms")
    return db


def main():
    print(f"documents: {N}")
    run("memory only", None)
    with tempfile.TemporaryDirectory() as tmp:
        db = run("journaled (fsync)", tmp)
        from emss_common.store import close_database
        close_database(db)
        size = os.path.getsize(os.path.join(tmp, "bench.journal"))
        t = time.perf_counter()
        db2 = open_embedded("bench", tmp)
        replay_s = time.perf_counter() - t
        count = db2["docs"].count_documents({})
        print(f"replay + compact       {count} docs from a {size / 1e6:.1f} MB journal in {replay_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
