"""Run the whole system on one machine: the embedded store server (unless MONGO_URI names a
MongoDB), every service and the gateway, each its own process.

Used by `make run` and by the browser tests. Prints what runs where, waits until /healthz answers,
stops everything cleanly on Ctrl-C (SIGINT) or SIGTERM. A process that dies is started again after a
back-off (emss_common.supervision.RestartPolicy), each restart logged; one that keeps dying at start
stops the system with the reason and the end of its log. A store server that dies is started again
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
from emss_common.supervision import GiveUp as GiveUpDecision, RestartPolicy  # noqa: E402


class Launcher:
    """One process of the system: how to start it (again), where its log is, and the one running now."""

    def __init__(self, name, start, log_path=None):
        self.name, self._start, self.log_path = name, start, log_path
        self.proc = None

    def start(self):
        self.proc = self._start()
        return self.proc


def launchers(env=None, log_dir=None):
    """The store (embedded, when MONGO_URI is unset), the five services and the gateway, not started;
    returns (launchers, gateway_url). Checks the broker first."""
    env = {**os.environ, **(env or {})}
    env.setdefault("EMSS_DATA_DIR", os.path.join(ROOT, "var", "data"))
    settings = Settings.from_env(env)
    check_broker(settings.amqp_uri)
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
    found = []
    if settings.embedded_store:
        data_dir = env["EMSS_DATA_DIR"]
        os.makedirs(data_dir, exist_ok=True)
        log_path = os.path.join(log_dir or data_dir, "store.log")
        store = StoreServer(os.path.join(data_dir, "store"), port=settings.store_port, log_path=log_path)
        found.append(Launcher("store", store.start, log_path))
        env["MONGO_URI"] = store.uri

    def process(name, command, penv):
        log_path = os.path.join(log_dir, f"{name}.log") if log_dir else None

        def start():
            out = open(log_path, "ab") if log_path else None
            try:
                return subprocess.Popen(command, env=penv, cwd=ROOT, stdout=out,
                                        stderr=subprocess.STDOUT if out else None)
            finally:
                if out:
                    out.close()  # the child has its own copy
        return Launcher(name, start, log_path)

    for name in SERVICES:
        penv = {**env, "METRICS_PORT": env.get(f"METRICS_PORT_{name.upper()}", str(DEFAULT_METRICS_PORTS[name]))}
        found.append(process(name, [sys.executable, "-m", "emss_common.launch", name], penv))
    found.append(process("gateway", [sys.executable, "-m", "gateway"], env))
    return found, f"http://{settings.gateway_host}:{settings.gateway_port}"


def start_all(env=None, quiet=False, log_dir=None):
    """Start the store (embedded), the services and gateway; returns (processes, gateway_url). The
    embedded store, when started, is the first entry: ("store", StoreServer)."""
    found, url = launchers(env, log_dir)
    return [(launcher.name, launcher.start()) for launcher in found], url


class GaveUp(Exception):
    """A process keeps dying at start: the message says which and why, with the tail of its log."""


def describe_exit(code):
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def log_tail(path, lines=20):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
    except OSError:
        return ""


def say(text):
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


class Supervisor:
    """Keeps every process running: a dead one is started again when its RestartPolicy says so (the
    policy decides, this only starts and polls); one that keeps dying at start raises GaveUp."""

    def __init__(self, launchers, policy=RestartPolicy, clock=time.monotonic, say=say):
        self.units = [(launcher, policy()) for launcher in launchers]
        self.clock, self.say = clock, say
        self.due = {}   # name -> clock time of its next start

    @property
    def procs(self):
        return [(launcher.name, launcher.proc) for launcher, _ in self.units if launcher.proc is not None]

    def start_all(self):
        for launcher, policy in self.units:
            launcher.start()
            policy.started(self.clock())

    def tick(self):
        for launcher, policy in self.units:
            if launcher.name in self.due:
                if self.clock() >= self.due[launcher.name]:
                    del self.due[launcher.name]
                    self._start_again(launcher, policy)
                continue
            code = launcher.proc.poll()
            if code is not None:
                self._died(launcher, policy, describe_exit(code))

    def _start_again(self, launcher, policy):
        try:
            launcher.start()
        except Exception as exc:  # noqa: BLE001 - e.g. the store's port still taken: a death at start
            policy.started(self.clock())
            self._died(launcher, policy, f"could not be started ({exc})")
            return
        policy.started(self.clock())
        self.say(f"{launcher.name} started again, pid {launcher.proc.pid}")

    def _died(self, launcher, policy, how):
        decision = policy.died(self.clock())
        who = f"{launcher.name} (pid {launcher.proc.pid})"
        if isinstance(decision, GiveUpDecision):
            message = f"{who} {how}; {decision.reason}, so EMSS stops."
            if launcher.log_path:
                message += f"\nLast lines of {launcher.log_path}:\n{log_tail(launcher.log_path)}"
            else:
                message += " Its output is above."
            raise GaveUp(message)
        self.due[launcher.name] = decision.at
        self.say(f"{who} {how}; starting it again in {decision.delay:g} s (restart {decision.attempt})")


def wait_healthy(url, procs, timeout=60, supervisor=None, stopping=lambda: False):
    """Until /healthz answers 200. Without a supervisor a process that exits meanwhile is an error;
    with one it is started again (and GaveUp raised if it keeps dying)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline and not stopping():
        if supervisor is not None:
            supervisor.tick()
        else:
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
    if stopping():
        return None
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
        found, url = launchers(log_dir=args.logs)
        # The first restart's delay (then doubling): EMSS_RESTART_DELAY_SECONDS, 0.5 by default.
        first = float(os.environ.get("EMSS_RESTART_DELAY_SECONDS") or 0.5)
        supervisor = Supervisor(found, policy=lambda: RestartPolicy(first_delay=first, max_delay=max(30.0, first)))
        supervisor.start_all()
    except (BrokerUnavailable, StoreUnavailable) as exc:
        print(str(exc), file=sys.stderr)
        return 3
    stopping = {"now": False}

    def on_signal(signum, frame):
        stopping["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        health = wait_healthy(url, supervisor.procs, supervisor=supervisor, stopping=lambda: stopping["now"])
        if health is not None:
            print_banner(url, supervisor.procs, health)
        while not stopping["now"]:
            supervisor.tick()
            time.sleep(0.2)
    except (RuntimeError, GaveUp) as exc:
        print(f"EMSS failed: {exc}", file=sys.stderr)
        code = 1
    finally:
        print("Stopping EMSS…", flush=True)
        stop_all(supervisor.procs)
        print("Stopped.")
    return code


def print_banner(url, procs, health):
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
    print("A process that dies is started again (logged here); Ctrl-C stops everything.\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
