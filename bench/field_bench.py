"""Field filing through the gateway on this machine: starts the whole system on a fresh vhost
(loopback only, real clock), builds an O&M world over HTTP, then times what field staff and the
enterprise do on site. Prints numbers; asserts nothing about them.

    .venv/bin/python bench/field_bench.py

Tuning (environment): BENCH_STAFF field staff (8), BENCH_CONCURRENCY the parallel level (8; every
phase also runs at 1), BENCH_REQUESTS check-ins per level (60), BENCH_SUBMITS submits per form
kind per level (24), BENCH_PHOTOS ~1 MP photos per level (32), BENCH_PHOTOS_12MP 12 MP photos per
level (16), BENCH_FILINGS end-to-end filings per level (12), BENCH_CONFIRM_ROUNDS days of
BENCH_CONFIRM_BATCH records confirmed (3 × 50), BENCH_INPROC in-process repeats (10). About two
minutes with the defaults on the 2-core machine (40 s of it making 12 MP photos); for a quick look
BENCH_REQUESTS=20 BENCH_SUBMITS=8 BENCH_PHOTOS=8 BENCH_PHOTOS_12MP=8 BENCH_FILINGS=8
BENCH_CONFIRM_ROUNDS=1.

Besides the client's view (p50/p95/mean, req/s) each row shows the server's own mean: the
gateway's Flask handler (emss_http_request_duration_seconds) and the service's RPC handler
(emss_rpc_duration_seconds), read from /metrics before and after the phase. client − gateway is
HTTP and multipart on the wire; gateway − service is the RPC hop (JSON, base64, AMQP).

Every photo is a different picture (its own background, so its perceptual hash is far from the
others): re-uploading one picture would make each upload a duplicate of all before it, which
measures the duplicate flagging rather than filing.
"""
import base64
import io
import json
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import bson
import numpy as np
import requests
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from run_all import start_all, stop_all, wait_healthy  # noqa: E402
from emss_common.clock import SHANGHAI  # noqa: E402
from emss_common.config import SERVICES  # noqa: E402
from emss_common.files import FileStore  # noqa: E402
from emss_common.store import client_for  # noqa: E402
from emss_common.storeserver import StoreServer  # noqa: E402
from emss_common.imaging import FaceDetector, inspect_image  # noqa: E402
from services.fieldrecords.tests.form_samples import sample_content  # noqa: E402
from tests import builders as b  # noqa: E402
from tests.e2e import worlds  # noqa: E402
from tests.system_fixtures import Api  # noqa: E402
from tests.images import _encode, face_jpeg, photo_12mp, signature_png  # noqa: E402

STAFF = int(os.environ.get("BENCH_STAFF", "8"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "60"))
SUBMITS = int(os.environ.get("BENCH_SUBMITS", "24"))
PHOTOS = int(os.environ.get("BENCH_PHOTOS", "32"))
PHOTOS_12MP = int(os.environ.get("BENCH_PHOTOS_12MP", "16"))
FILINGS = int(os.environ.get("BENCH_FILINGS", "12"))
CONFIRM_ROUNDS = int(os.environ.get("BENCH_CONFIRM_ROUNDS", "3"))
CONFIRM_BATCH = int(os.environ.get("BENCH_CONFIRM_BATCH", "50"))
INPROC = int(os.environ.get("BENCH_INPROC", "10"))
MGMT = "http://127.0.0.1:15672/api"
LEVELS = sorted({1, CONCURRENCY})
KINDS = ("fg_calibration", "fg_inspection_extractive")
NAMES = ["赵强", "周杰", "吴刚", "郑敏", "王磊", "冯军", "陈涛", "褚亮", "卫东", "蒋平", "沈阳", "韩冰",
         "杨帆", "朱峰", "秦岭", "许诺"]


# ----- a requests client with the shape worlds.py's helpers use (tests.system_fixtures.Api) -----

class HttpApi(Api):
    """A user of the API over real HTTP: JSON in, (status, JSON) out (the verbs are Api's). One
    requests.Session per thread and user, so parallel workers never share a connection or another
    user's cookies."""

    def __init__(self, url, token=None):
        self.url, self.token = url, token
        self._local = threading.local()

    def session(self):
        s = getattr(self._local, "s", None)
        if s is None:
            s = self._local.s = requests.Session()
        return s

    def call(self, method, path, json=None, query=None, **kw):
        resp = self.session().request(method, f"{self.url}/api/v1{path}", json=json, params=query,
                                      headers=self._headers(), timeout=120, **kw)
        return resp.status_code, (resp.json() if resp.headers.get("Content-Type", "").startswith(
            "application/json") else resp.text)

    def multipart(self, path, files, **fields):
        """What the phone's H5 page sends: files plus form fields."""
        return self.call("POST", path, data=fields, files=files)

    def upload(self, path, data, filename, **fields):
        return self.multipart(path, {"file": (filename, data, "image/jpeg")}, **fields)


def login_with(url):
    def login(username, password):
        resp = requests.post(f"{url}/api/v1/auth/login", json={"username": username, "password": password},
                             timeout=60)
        assert resp.status_code == 200, resp.text
        return HttpApi(url, resp.json()["token"])
    return login


def ok(result, expected=(200, 201)):
    status, body = result
    assert status in expected, (status, body)
    return body


# ----- pictures: each one different, as real phone photos are -----

_face = Image.open(io.BytesIO(face_jpeg())).convert("RGB")


def face_square(seed, side=1024, face_side=640):
    """A ~1 MP JPEG: the work-photo face on a background of coloured blocks of its own."""
    rng = np.random.default_rng(10_000 + seed)
    blocks = Image.fromarray(rng.integers(0, 256, (4, 4, 3)).astype(np.uint8))
    canvas = blocks.resize((side, side), Image.Resampling.NEAREST)
    x, y = (int(v) for v in rng.integers(0, side - face_side, 2))
    canvas.paste(_face.resize((face_side, face_side), Image.Resampling.BICUBIC), (x, y))
    return _encode(canvas, "JPEG", quality=90)


class Pictures:
    """Hands out distinct ~1 MP and 12 MP photos, each checked to show a face the way the service
    checks it (a random background can hide one); 12 MP ones are made ahead (~1 s each)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seed = 0
        self._big = []
        self._detector = FaceDetector()

    def _next_seed(self):
        with self._lock:
            self._seed += 1
            return self._seed

    def small(self):
        while True:
            data = face_square(self._next_seed())
            if self._detector.count(data):
                return data

    def _one_big(self, _):
        while True:
            data = photo_12mp(self.small())
            if self._detector.count(data):
                return data

    def make_big(self, n):
        with ThreadPoolExecutor(2) as pool:
            self._big.extend(pool.map(self._one_big, range(n)))

    def big(self):
        with self._lock:
            return self._big.pop()


# ----- the world -----

def today():
    return datetime.now(SHANGHAI).date()


def build_world(url):
    login, anonymous = login_with(url), HttpApi(url)
    reg = worlds.regulator(login)
    staff = [(NAMES[i], "om_staff") for i in range(STAFF)] + [("钱伟", "technical_lead"), ("孙丽", "quality_lead")]
    inst, inst_doc, staff_ids = worlds.filed_institution(anonymous, login, reg, "om_admin", staff)
    fg = worlds.outlet_at("flue_gas", "1#锅炉废气排口DA001", "DA001", 121.5461, 31.2219)
    enterprise, ent_id, outlets, devices = worlds.enterprise_with_outlets(
        anonymous, login, "ent_user", {"fg": (fg, {"so2": b.cems("a21026")})})
    w = dict(inst=inst, regulator=reg, enterprise=enterprise, ent_id=ent_id, fg=outlets["fg"], so2=devices["so2"])
    start, end = today() - timedelta(days=30), today() + timedelta(days=334)
    contract = worlds.submitted_contract(w, start=start.isoformat(), end=end.isoformat())
    w["task"] = worlds.running_task(inst, reg, {
        "name": "东方化工废气排口运维（性能基准）", "enterprise_id": ent_id, "contract_id": contract["id"],
        "start": start.isoformat(), "end": end.isoformat(), "outlet_ids": [w["fg"]["id"]],
        "staff_ids": staff_ids[:STAFF], "device_ids": [w["so2"]["id"]],
        "plan": [{"outlet_id": w["fg"]["id"], "form_kind": "fg_inspection_extractive",
                  "frequency": {"kind": "weekly"}}]})
    w["field"] = []
    for i in range(STAFF):
        worlds.field_account(inst, f"field{i:02d}", staff_ids[i], NAMES[i])
        w["field"].append(login(f"field{i:02d}", worlds.PASSWORD))
    for field in w["field"]:
        worlds.wait_for_field_task(field, w["task"]["id"], devices=1)
    w["content"] = {k: sample_content(k, [w["so2"]], at=datetime.now(SHANGHAI) - timedelta(hours=1)) for k in KINDS}
    return w


# ----- what the phone does, one step at a time -----

def sid():
    return uuid.uuid4().hex


class Draft:
    def __init__(self, record, staff, kind):
        self.id, self.staff, self.kind, self.photo = record["id"], staff, kind, False


def check_in(w, i, kind):
    staff = i % STAFF
    record = ok(worlds.start_record(w["field"][staff], w["task"]["id"], w["fg"], kind, sid()))
    return Draft(record, staff, kind)


def add_photo(w, draft, data):
    ok(w["field"][draft.staff].upload(f"/field-records/{draft.id}/photos", data, "IMG_20261123_100512.jpg",
                                      upload_id=sid(), kind="work"))
    draft.photo = True


def submit(w, draft):
    body = worlds.submit_body(w["fg"], w["content"][draft.kind], sid(), signature_png())
    record = ok(w["field"][draft.staff].post(f"/field-records/{draft.id}/submit", body))
    assert record["status"] == "submitted", record
    return record["id"]


# ----- timing -----

_METRIC = re.compile(r'^(emss_(?:rpc|http_request)_duration_seconds)_(sum|count)\{(.*)\} (\S+)$')


def scrape(urls):
    """{(metric, part, frozenset(labels)): value} over the gateway's and services' /metrics."""
    out = {}
    for u in urls:
        for line in requests.get(u, timeout=10).text.splitlines():
            m = _METRIC.match(line)
            if m:
                labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(3)))
                out[(m.group(1), m.group(2), labels)] = float(m.group(4))
    return out


def server_mean_ms(before, after, metric, **labels):
    want = set(labels.items())
    total = count = 0.0
    for (name, part, lbls), value in after.items():
        if name == metric and want <= lbls:
            delta = value - before.get((name, part, lbls), 0.0)
            if part == "sum":
                total += delta
            else:
                count += delta
    return total / count * 1000 if count else None


class Timer:
    def __init__(self, metric_urls):
        self.metric_urls = metric_urls

    def run(self, label, fn, items, concurrency, route=None, rpc=None):
        """Times fn(item) for each item at the given concurrency; one row of the table."""
        def one(item):
            t = time.perf_counter()
            fn(item)
            return time.perf_counter() - t
        before = scrape(self.metric_urls)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            samples = sorted(pool.map(one, items))
        wall = time.perf_counter() - t0
        after = scrape(self.metric_urls)
        gw = server_mean_ms(before, after, "emss_http_request_duration_seconds", route=route) if route else None
        svc = server_mean_ms(before, after, "emss_rpc_duration_seconds", service=rpc[0], method=rpc[1]) if rpc else None
        row = dict(label=label, c=concurrency, n=len(samples), rps=len(samples) / wall,
                   p50=samples[len(samples) // 2] * 1000,
                   p95=samples[min(len(samples) - 1, int(len(samples) * 0.95))] * 1000,
                   mean=statistics.mean(samples) * 1000, gw=gw, svc=svc)
        print(f"  {fmt(row)}", flush=True)
        return row


def fmt(row):
    ms = lambda v: f"{v:8.1f}" if v is not None else f"{'–':>8}"  # noqa: E731
    return (f"{row['label']:<44} {row['c']:>2} {row['n']:>4} {row['rps']:7.2f} {ms(row['p50'])} {ms(row['p95'])}"
            f" {ms(row['mean'])} {ms(row['gw'])} {ms(row['svc'])}")


HEADER = (f"  {'what':<44} {'c':>2} {'n':>4} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}"
          f" {'gw ms':>8} {'svc ms':>8}")


def parallel(fn, items, workers=CONCURRENCY):
    with ThreadPoolExecutor(max(1, workers)) as pool:
        return list(pool.map(fn, items))


# ----- the bench -----

def field_phases(w, timer, pics):
    api = "/api/v1"
    drafts = []
    counter = iter(range(10 ** 9))

    def new_drafts(n, kind=None):
        return parallel(lambda i: check_in(w, next(counter), kind or KINDS[i % 2]), range(n))

    # check-in: a new draft record
    for c in LEVELS:
        def timed_check_in(i):
            drafts.append(check_in(w, next(counter), KINDS[i % 2]))
        timer.run("POST /field-records (check-in)", timed_check_in, range(REQUESTS), c,
                  route=f"{api}/field-records", rpc=("fieldrecords", "start_record"))

    def without_photo(n):
        have = [d for d in drafts if not d.photo][:n]
        more = new_drafts(n - len(have))
        drafts.extend(more)
        return have + more

    # work photos: ~1 MP and 12 MP, each to its own draft
    for label, make, count in (("POST …/photos  ~1 MP face photo (multipart)", pics.small, PHOTOS),
                               ("POST …/photos  12 MP phone photo (multipart)", pics.big, PHOTOS_12MP)):
        for c in LEVELS:
            jobs = [(d, make()) for d in without_photo(count)]
            timer.run(label, lambda job: add_photo(w, *job), jobs, c,
                      route=f"{api}/field-records/<record_id>/photos", rpc=("fieldrecords", "add_record_photo"))

    # submit (check-out, signature, full form), per form kind
    submitted = []
    for kind in KINDS:
        for c in LEVELS:
            ready = [d for d in drafts if d.kind == kind][:SUBMITS]
            ready += new_drafts(SUBMITS - len(ready), kind)
            for d in ready:
                if d in drafts:
                    drafts.remove(d)
            parallel(lambda d: add_photo(w, d, pics.small()), [d for d in ready if not d.photo])
            timer.run(f"POST …/submit  {kind}", lambda d: submitted.append(submit(w, d)), ready, c,
                      route=f"{api}/field-records/<record_id>/submit", rpc=("fieldrecords", "submit_record"))

    # one record end to end: check-in, a 12 MP photo from the phone's camera, submit
    for c in LEVELS:
        def filing(i):
            d = check_in(w, next(counter), "fg_inspection_extractive")
            add_photo(w, d, pics.big())
            submitted.append(submit(w, d))
        timer.run("full filing: check-in, 12 MP photo, submit", filing, range(FILINGS), c)
    return submitted


def confirm_phase(w, timer, pics, submitted):
    day = today().isoformat()
    need = CONFIRM_ROUNDS * CONFIRM_BATCH
    if len(submitted) < need:   # top up (not timed) so each round confirms a full day's batch
        def one_more(i):
            d = check_in(w, i, "fg_inspection_extractive")
            add_photo(w, d, pics.small())
            return submit(w, d)
        submitted.extend(parallel(one_more, range(need - len(submitted))))

    def arrived():
        status, days = w["enterprise"].get("/confirmation/days")
        assert status == 200, days
        mine = [d for d in days["days"] if d["day"] == day]
        assert mine and mine[0]["counts"]["pending"] >= need, days
    _poll(arrived, 120)

    batches = [submitted[i * CONFIRM_BATCH:(i + 1) * CONFIRM_BATCH] for i in range(CONFIRM_ROUNDS)]
    photos = iter([pics.big() for _ in batches])

    def confirm(ids):
        out = ok(w["enterprise"].multipart(
            f"/confirmation/days/{day}/confirm", {"photo": ("IMG_0001.jpg", next(photos), "image/jpeg")},
            signature=base64.b64encode(signature_png()).decode(), record_ids=",".join(ids),
            submission_id=sid(), longitude="121.5457", latitude="31.2190", accuracy="12"))
        assert len(out["confirmed"]) == len(ids), out["refused"][:3]
    row = timer.run(f"POST …/confirm ×{CONFIRM_BATCH} records, 12 MP photo", confirm, batches, 1,
                    route="/api/v1/confirmation/days/<day>/confirm", rpc=("confirmation", "confirm_day"))
    print(f"  {'':<44}    = {row['mean'] / CONFIRM_BATCH:.1f} ms per record confirmed")


def _poll(check, timeout):
    deadline = time.time() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def in_process(data_dir, pics, record):
    """The CPU work of one photo alone, and the costs around it that the RPC hop and store add."""
    photo = pics.big()
    small = pics.small()
    detector = FaceDetector()
    detector.count(small)          # the cascade loads once per process

    def median_ms(fn, n=INPROC):
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples) * 1000

    wire = json.dumps({"c": base64.b64encode(photo).decode()})   # what the RPC hop carries
    record_kb = len(bson.encode(record)) / 1024
    server = StoreServer(os.path.join(data_dir, "probe-store"), port=free_port()).start()
    store = client_for(server.uri)["emss_probe"]
    files = FileStore(store, "photos")

    rows = [
        (f"face detection, 12 MP ({len(photo) / 1e6:.1f} MB JPEG)", median_ms(lambda: detector.count(photo))),
        ("inspect_image, 12 MP", median_ms(lambda: inspect_image(photo))),
        (f"face detection, ~1 MP ({len(small) / 1e3:.0f} KB JPEG)", median_ms(lambda: detector.count(small))),
        ("inspect_image, ~1 MP", median_ms(lambda: inspect_image(small))),
        ("base64 encode + JSON dumps, 12 MP", median_ms(lambda: json.dumps({"c": base64.b64encode(photo).decode()}))),
        ("JSON loads + base64 decode, 12 MP", median_ms(lambda: base64.b64decode(json.loads(wire)["c"]))),
        (f"store insert of a record ({record_kb:.1f} KB BSON), SecantusDB, sync on commit",
         median_ms(lambda: store["records"].insert_one(dict(record)), max(INPROC, 50))),
        ("GridFS put of the 12 MP photo, SecantusDB",
         median_ms(lambda: files.put(photo, "IMG.jpg", "image/jpeg"))),
    ]
    server.stop()
    shutil.rmtree(os.path.join(data_dir, "probe-store"), ignore_errors=True)
    print(f"\nIn process (median of {INPROC}):")
    for label, ms in rows:
        print(f"  {label:<62} {ms:8.1f} ms")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


AUTH = ("guest", "guest")


def fresh_vhost(prefix):
    """A vhost of this run alone on the local broker (management API), guest allowed everything."""
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    requests.put(f"{MGMT}/vhosts/{vhost}", auth=AUTH).raise_for_status()
    requests.put(f"{MGMT}/permissions/{vhost}/guest", auth=AUTH,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    return vhost


def drop_vhost(vhost):
    requests.delete(f"{MGMT}/vhosts/{vhost}", auth=AUTH)


def main():
    vhost = fresh_vhost("emss-fbench")
    tmp = tempfile.mkdtemp(prefix="emss-fbench-")
    metrics_ports = {s: free_port() for s in SERVICES}
    env = {"AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "EMSS_DATA_DIR": tmp,
           "GATEWAY_PORT": str(free_port()), "EMSS_ADMIN_PASSWORD": worlds.ADMIN_PASSWORD,
           "EMSS_SECRET_KEY": "bench", **{f"METRICS_PORT_{s.upper()}": str(p) for s, p in metrics_ports.items()}}
    print("load average (1/5/15 min): %.1f %.1f %.1f on %d cores" % (*os.getloadavg(), os.cpu_count()))
    pics = Pictures()
    t = time.perf_counter()
    pics.make_big((PHOTOS_12MP + FILINGS) * len(LEVELS) + CONFIRM_ROUNDS + 1)
    print(f"made {len(pics._big)} distinct 12 MP photos in {time.perf_counter() - t:.0f} s")
    procs, url = start_all(env=env, log_dir=os.path.join(tmp, "logs"))
    try:
        wait_healthy(url, procs)
        t = time.perf_counter()
        w = build_world(url)
        print(f"world built in {time.perf_counter() - t:.0f} s: {STAFF} field staff, task {w['task']['id']}, "
              f"day {today().isoformat()} (store: embedded, data in {tmp})")
        timer = Timer([f"{url}/metrics"] + [f"http://127.0.0.1:{p}/metrics" for p in metrics_ports.values()])
        print(f"\nThrough the gateway (c = concurrency; gw / svc = server-side mean of the gateway handler / "
              f"the service's RPC handler):\n{HEADER}")
        submitted = field_phases(w, timer, pics)
        confirm_phase(w, timer, pics, submitted)
        record = ok(w["enterprise"].get(f"/field-records/{submitted[0]}"))
    finally:
        stop_all(procs)
        drop_vhost(vhost)
    in_process(tmp, pics, record)
    shutil.rmtree(tmp)      # kept when something failed: the services' logs are in tmp/logs
    print("load average (1/5/15 min): %.1f %.1f %.1f on %d cores" % (*os.getloadavg(), os.cpu_count()))


if __name__ == "__main__":
    main()
