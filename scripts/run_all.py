"""Run the whole system on one machine: the embedded store server (unless MONGO_URI names a
MongoDB), every service and the gateway, each its own process.

Used by `make run` and by the browser tests. Prints what runs where, waits until /healthz answers,
stops everything cleanly on Ctrl-C (SIGINT) or SIGTERM. A store server that dies is started again
on its data; the services reconnect by themselves.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "common"))

from emss_common.broker import BrokerUnavailable, check_broker  # noqa: E402
from emss_common.config import DEFAULT_METRICS_PORTS, SERVICES, Settings  # noqa: E402
from emss_common.storeserver import StoreServer, StoreUnavailable  # noqa: E402


def start_all(env=None, quiet=False, log_dir=None):
    """Start the store (embedded), the services and gateway; returns (processes, gateway_url). The
    embedded store, when started, is the first entry: ("store", StoreServer)."""
    env = {**os.environ, **(env or {})}
    env.setdefault("EMSS_DATA_DIR", os.path.join(ROOT, "var", "data"))
    settings = Settings.from_env(env)
    check_broker(settings.amqp_uri)
    procs = []
    out = None
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
    if settings.embedded_store:
        data_dir = env["EMSS_DATA_DIR"]
        store = StoreServer(os.path.join(data_dir, "store"), port=settings.store_port,
                            log_path=os.path.join(log_dir or data_dir, "store.log"))
        os.makedirs(data_dir, exist_ok=True)
        procs.append(("store", store.start()))
        env["MONGO_URI"] = store.uri
    for name in SERVICES:
        penv = {**env, "METRICS_PORT": env.get(f"METRICS_PORT_{name.upper()}", str(DEFAULT_METRICS_PORTS[name]))}
        if log_dir:
            out = open(os.path.join(log_dir, f"{name}.log"), "ab")
        procs.append((name, subprocess.Popen([sys.executable, "-m", "emss_common.launch", name],
                                             env=penv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT if out else None)))
    if log_dir:
        out = open(os.path.join(log_dir, "gateway.log"), "ab")
    procs.append(("gateway", subprocess.Popen([sys.executable, "-m", "gateway"], env=env, cwd=ROOT,
                                              stdout=out, stderr=subprocess.STDOUT if out else None)))
    url = f"http://{settings.gateway_host}:{settings.gateway_port}"
    return procs, url


def wait_healthy(url, procs, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        for name, proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            last = json.loads(exc.read() or b"{}")
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise RuntimeError(f"system did not become healthy in {timeout}s: {last}")


def stop_all(procs, timeout=15):
    """The gateway and services first, then the store they write to."""
    running = [(name, proc) for name, proc in procs if name != "store"]
    for _, proc in running:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + timeout
    for _, proc in running:
        try:
            proc.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
    for name, store in procs:
        if name == "store":
            store.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", help="write each process's log to this folder instead of the terminal")
    args = parser.parse_args()
    try:
        procs, url = start_all(log_dir=args.logs)
    except (BrokerUnavailable, StoreUnavailable) as exc:
        print(str(exc), file=sys.stderr)
        return 3
    stopping = {"now": False}

    def on_signal(signum, frame):
        stopping["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        health = wait_healthy(url, procs)
    except RuntimeError as exc:
        print(f"EMSS failed to start: {exc}", file=sys.stderr)
        stop_all(procs)
        return 1
    settings = Settings.from_env()
    print("\nEMSS is running:")
    print(f"  gateway        {url}   (pages, /api/v1, /api/v1/openapi.json, /healthz, /metrics)")
    for name, proc in procs:
        if name in SERVICES:
            port = os.environ.get(f"METRICS_PORT_{name.upper()}", DEFAULT_METRICS_PORTS[name])
            print(f"  {name:<14} pid {proc.pid:<7} metrics http://127.0.0.1:{port}/metrics")
    print(f"  broker         {settings.amqp_uri.split('@')[-1]}")
    stores = [p for name, p in procs if name == "store"]
    if stores:
        print(f"  store          embedded SecantusDB {stores[0].uri} pid {stores[0].pid}, "
              f"data in {stores[0].storage_path}")
    else:
        print(f"  store          MongoDB {settings.mongo_uri.split('@')[-1]}")
    pw = os.path.join(os.environ.get("EMSS_DATA_DIR", os.path.join(ROOT, "var", "data")), "admin-password.txt")
    if os.path.exists(pw):
        print(f"  administrator  see {pw}")
    print(f"  health         {health['status']}")
    print("Press Ctrl-C to stop.\n", flush=True)
    try:
        while not stopping["now"]:
            for name, proc in procs:
                if name == "store" and proc.poll() is not None:
                    print(f"the store server exited with code {proc.returncode}; starting it again",
                          file=sys.stderr)
                    proc.start()
                elif name != "store" and proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping everything", file=sys.stderr)
                    stopping["now"] = True
            time.sleep(0.5)
    finally:
        print("Stopping EMSS…", flush=True)
        stop_all(procs)
        print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
