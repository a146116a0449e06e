"""End-to-end latency through the gateway on this machine: starts the whole system on a fresh
vhost (loopback only), seeds institutions, then times requests. Prints numbers; asserts nothing.

Run: `.venv/bin/python bench/gateway_bench.py` (BENCH_REQUESTS, BENCH_CONCURRENCY to tune).
"""
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from run_all import start_all, stop_all, wait_healthy  # noqa: E402
from tests import builders as b  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
MGMT = "http://127.0.0.1:15672/api"


def timed(fn, n, concurrency):
    def one(i):
        t = time.perf_counter()
        resp = fn(i)
        assert resp.status_code < 400, resp.text
        return time.perf_counter() - t
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        samples = sorted(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    return {"rps": n / wall, "p50": samples[len(samples) // 2] * 1000,
            "p95": samples[int(len(samples) * 0.95)] * 1000, "mean": statistics.mean(samples) * 1000}


def main():
    vhost = f"emss-bench-{uuid.uuid4().hex[:8]}"
    auth = ("guest", "guest")
    requests.put(f"{MGMT}/vhosts/{vhost}", auth=auth).raise_for_status()
    requests.put(f"{MGMT}/permissions/{vhost}/guest", auth=auth,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    tmp = tempfile.mkdtemp(prefix="emss-bench-")
    env = {"AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "EMSS_DATA_DIR": tmp,
           "GATEWAY_PORT": "18080", "EMSS_ADMIN_PASSWORD": "Admin#Bench2026", "EMSS_SECRET_KEY": "bench",
           **{f"METRICS_PORT_{s.upper()}": str(19100 + i) for i, s in
              enumerate(["registry", "tasks", "fieldrecords", "confirmation", "credit"])}}
    procs, url = start_all(env=env, log_dir=os.path.join(tmp, "logs"))
    try:
        wait_healthy(url, procs)
        api = url + "/api/v1"
        s = requests.Session()
        ids = []
        t = time.perf_counter()
        for i in range(50):
            r = s.post(f"{api}/institutions", json={"institution": b.institution(name=f"基准测试运维公司{i:03d}"),
                                                    "account": b.account(f"bench{i:03d}")})
            r.raise_for_status()
            ids.append(r.json()["institution"]["id"])
        print(f"register institution (argon2 hash, sequential): {(time.perf_counter() - t) / 50 * 1000:.1f} ms each")
        token = s.post(f"{api}/auth/login", json={"username": "admin", "password": "Admin#Bench2026"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        local = __import__("threading").local()

        def session():
            if not hasattr(local, "s"):
                local.s = requests.Session()
            return local.s

        print(f"requests: {REQUESTS}, concurrency: {CONCURRENCY}")
        for label, fn in [
            ("GET /healthz", lambda i: session().get(f"{url}/healthz")),
            ("GET /api/v1/public/institutions", lambda i: session().get(f"{api}/public/institutions")),
            ("GET /api/v1/institutions/<id> (auth)", lambda i: session().get(f"{api}/institutions/{ids[i % 50]}", headers=headers)),
            ("GET /api/v1/institutions (auth, page)", lambda i: session().get(f"{api}/institutions?size=20", headers=headers)),
            ("GET /public/institutions (page)", lambda i: session().get(f"{url}/public/institutions")),
        ]:
            r = timed(fn, REQUESTS, CONCURRENCY)
            print(f"  {label:<40} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms")
    finally:
        stop_all(procs)
        requests.delete(f"{MGMT}/vhosts/{vhost}", auth=auth)


if __name__ == "__main__":
    main()
