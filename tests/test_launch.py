"""Starting processes: a missing broker gets a sentence a person can act on, not a traceback."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEAD_BROKER = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"}


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "emss_common.launch", "registry"],
    [sys.executable, "-m", "gateway"],
    [sys.executable, "scripts/run_all.py"],
])
def test_without_a_broker_every_entry_point_says_how_to_start_it(command):
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **DEAD_BROKER}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 3
    assert "RabbitMQ is not reachable at 127.0.0.1:1" in result.stderr
    assert "rabbitmq-server" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_service_name_gets_the_usage():
    result = subprocess.run([sys.executable, "-m", "emss_common.launch", "nosuch"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "usage" in result.stderr
