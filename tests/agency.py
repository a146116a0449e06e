"""The enforcement agency's reference consumer (tools/enforcement_consumer.py), run from a test as
the agency would run it: --once, on its own queue and SQLite inbox."""
import pathlib
import subprocess
import sys
from urllib.parse import quote

from tests.waiting import eventually

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONSUMER = ROOT / "tools" / "enforcement_consumer.py"


def consume_once(amqp_uri, queue, store, keys, schema=None):
    """Every line the consumer printed but its LISTENING line. Polled, so that services running in
    this process keep working while it runs."""
    vhost = quote(amqp_uri.rsplit("/", 1)[1], safe="")
    checks = ["--schema", str(schema)] if schema is not None else []
    args = [sys.executable, str(CONSUMER), "--url", f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            "--queue", queue, "--store", str(store), *checks, "--once", "--idle-seconds", "0.5", *keys]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def finished():
        assert proc.poll() is not None, "the consumer has not finished"
    eventually(finished)
    out = proc.stdout.read().decode()
    assert proc.returncode == 0, out
    return [line for line in out.splitlines() if " LISTENING " not in line]
