"""`make run` keeps the system running: a service killed with SIGKILL is shown as down by the gateway
at once (503 naming it, /healthz lists it), is started again by scripts/run_all.py, and the system is
green again, without anyone touching anything.

The whole system runs as `make run` runs it (run_all.py as a process) on this test's vhost, ports,
data directory and database names."""
import os
import re
import signal
import subprocess
import sys
import time

import eventlet
import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from emss_common.config import SERVICES
from emss_common.storeserver import free_port
from tests.waiting import PATIENCE, eventually

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def make_run(service_config, tmp_path):
    env = {**os.environ, "AMQP_URI": service_config["AMQP_URI"], "MONGO_URI": service_config["MONGO_URI"],
           "EMSS_DB_SUFFIX": service_config["EMSS_DB_SUFFIX"], "EMSS_DATA_DIR": str(tmp_path / "data"),
           "EMSS_ADMIN_USERNAME": "admin", "EMSS_ADMIN_PASSWORD": service_config["EMSS_ADMIN_PASSWORD"],
           "EMSS_SECRET_KEY": "supervision-test", "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(free_port()),
           # A dead service stays dead for 5 s before its restart, so that "down" is observable
           # however fast a process starts on this machine (the default is 0.5 s).
           "EMSS_RESTART_DELAY_SECONDS": "5"}
    for name in SERVICES:
        env[f"METRICS_PORT_{name.upper()}"] = str(free_port())
    out = open(tmp_path / "run_all.out", "wb")
    proc = subprocess.Popen([sys.executable, "scripts/run_all.py", "--logs", str(tmp_path / "logs")], env=env,
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    run = {"proc": proc, "url": f"http://127.0.0.1:{env['GATEWAY_PORT']}",
           "output": lambda: (tmp_path / "run_all.out").read_text(errors="replace")}
    try:
        yield run
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)   # as Ctrl-C: run_all stops its children
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.close()


def test_a_killed_service_is_shown_down_at_once_then_started_again_and_all_is_green(make_run, service_config):
    url, output = make_run["url"], make_run["output"]

    def green():
        assert make_run["proc"].poll() is None, output()
        try:
            resp = requests.get(url + "/healthz", timeout=10)
        except requests.RequestException as exc:
            raise AssertionError(str(exc))
        assert resp.status_code == 200, resp.text
    eventually(green, timeout=180)
    token = requests.post(url + "/api/v1/auth/login", timeout=30, json={
        "username": "admin", "password": service_config["EMSS_ADMIN_PASSWORD"]}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(url + "/api/v1/contracts", headers=auth, timeout=30).status_code == 200

    with ClusterRpcProxy({"AMQP_URI": service_config["AMQP_URI"]}, timeout=PATIENCE) as rpc:
        pid = rpc.tasks.health()["pid"]
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    # A new request at every poll, none waiting for the earlier ones: one sent before the gateway
    # learnt of the death (it keeps a verdict half a second) waits in the queue for the restarted
    # process; the later ones should be answered 503 at once.
    answers, probes = [], eventlet.GreenPool(50)

    def probe():
        sent = time.monotonic() - killed_at
        try:
            resp = requests.get(url + "/api/v1/contracts", headers=auth, timeout=60)
        except requests.RequestException:
            return
        answers.append((sent, time.monotonic() - killed_at, resp))

    def gateway_says_down():
        probes.spawn_n(probe)
        down = [a for a in answers if a[2].status_code == 503]
        assert down
        return min(down, key=lambda a: a[1])
    sent, answered, resp = eventually(gateway_says_down)
    # Measured, not asserted (the machine may be loaded): the issue asks for under 2 s.
    print(f"\nthe gateway answered 503 (tasks down) {answered:.2f} s after the SIGKILL, "
          f"to a request sent at {sent:.2f} s")
    assert resp.json()["error"]["code"] == "service_unavailable"
    assert "（tasks）暂不可用" in resp.json()["error"]["message"]
    # A restart takes the 5 s back-off plus a process start: it is still down now.
    health = requests.get(url + "/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["down"] == ["tasks"], health.text

    def restarted_and_green():
        green()
        assert probes.running() == 0     # the requests that waited got their answer too
        assert requests.get(url + "/api/v1/contracts", headers=auth, timeout=30).status_code == 200
    eventually(restarted_and_green, timeout=120)
    log = output()
    assert f"tasks (pid {pid}) was killed by signal 9 (SIGKILL); starting it again in 5 s (restart 1)" in log
    again = re.search(r"tasks started again, pid (\d+)", log)
    assert again and int(again.group(1)) != pid
    with ClusterRpcProxy({"AMQP_URI": service_config["AMQP_URI"]}, timeout=PATIENCE) as rpc:
        assert rpc.tasks.health()["pid"] == int(again.group(1))
    assert "stopping everything" not in log

    make_run["proc"].send_signal(signal.SIGTERM)
    assert make_run["proc"].wait(90) == 0
    assert "Stopped." in output()
