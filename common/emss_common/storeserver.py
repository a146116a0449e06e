"""The embedded store server: SecantusDB, a MongoDB-wire server on WiredTiger, run as its own process
when no MONGO_URI is given (`make run` starts it before the services, `make test` for the test
session). Services only ever speak pymongo over the wire, to it or to a real MongoDB; production
runs MongoDB (docker-compose.yml, deploy/k8s).

Its settings are in deploy/secantusd.toml (an acknowledged write is fsync'ed: it survives kill -9
and power loss); host, port and storage path are flags.
"""
import os
import shutil
import socket
import subprocess
import sys
import time

import pymongo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG_FILE = os.path.join(ROOT, "deploy", "secantusd.toml")
DEFAULT_PORT = 27217


class StoreUnavailable(Exception):
    pass


def uri(host, port):
    # No retryable writes on the embedded server: SecantusDB keeps the last 10,000 retryable-write
    # records and sorts them all on every write once full, so past ~10,000 writes every write costs
    # several times more (bench/results/supervision.txt, comparison 1). Against a local server a
    # retry buys little; our writes are idempotent claims and upserts, and a failed handler is
    # retried by redelivery. A real MongoDB (MONGO_URI) keeps the driver's default.
    return f"mongodb://{host}:{port}/?retryWrites=false"


def executable():
    """secantusd-py beside this interpreter (the venv), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "secantusd-py")
    found = here if os.path.exists(here) else shutil.which("secantusd-py")
    if not found:
        raise StoreUnavailable("SecantusDB is not installed (secantusd-py not found): run `make run` or "
                               "`pip install -r requirements.txt`, or set MONGO_URI to a MongoDB server.")
    return found


def command(host, port, storage_path):
    # --config also stops it from picking up a secantusd.toml of the user's home or /etc.
    return [executable(), "--config", CONFIG_FILE, "--host", host, "--port", str(port),
            "--storage-path", storage_path, "--log-level", "WARNING"]


def answers(address, timeout=1.0):
    try:
        client = pymongo.MongoClient(address, serverSelectionTimeoutMS=int(timeout * 1000),
                                     connectTimeoutMS=int(timeout * 1000))
        try:
            client.admin.command("ping")
            return True
        finally:
            client.close()
    except pymongo.errors.PyMongoError:
        return False


def port_taken(host, port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class StoreServer:
    """One secantusd-py process on a storage directory; start() waits until it answers ping."""

    def __init__(self, storage_path, host="127.0.0.1", port=DEFAULT_PORT, log_path=None):
        self.storage_path, self.host, self.port, self.log_path = storage_path, host, port, log_path
        self.proc = None
        self._log = None

    @property
    def uri(self):
        return uri(self.host, self.port)

    def start(self, timeout=60):
        if port_taken(self.host, self.port):
            raise StoreUnavailable(
                f"port {self.host}:{self.port} is already taken, so the embedded store cannot start there: "
                "stop what uses it, choose another with EMSS_STORE_PORT, or set MONGO_URI to use that server.")
        os.makedirs(self.storage_path, exist_ok=True)
        if self.log_path and self._log is None:
            self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(command(self.host, self.port, self.storage_path), cwd=self.storage_path,
                                     stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StoreUnavailable(f"the embedded store exited with code {self.proc.returncode}"
                                       + (f"; see {self.log_path}" if self.log_path else ""))
            if answers(self.uri):
                return self
            time.sleep(0.1)
        self.stop()
        raise StoreUnavailable(f"the embedded store did not answer on {self.uri} within {timeout}s")

    def poll(self):
        """The exit code once it has exited, else None (as Popen.poll)."""
        return None if self.proc is None else self.proc.poll()

    @property
    def returncode(self):
        return None if self.proc is None else self.proc.returncode

    @property
    def pid(self):
        return None if self.proc is None else self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM: WiredTiger checkpoints and closes cleanly."""
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def kill(self):
        """SIGKILL, as a crash would: only what WiredTiger's log holds survives."""
        if self.alive():
            self.proc.kill()
            self.proc.wait()
