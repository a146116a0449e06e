"""Two processes of the fieldrecords service share its queue and its store: whichever answers, what
the other one just wrote is there (read-after-write), and every record filed through the pair is
kept once, with its own number."""
import os
import subprocess
import sys

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from emss_common.storeserver import free_port
from fieldrecords.service import FieldRecordsService
from services.fieldrecords.tests import conftest as fr
from services.fieldrecords.tests.test_service_records import start, submit, work_photo
from tests.waiting import PATIENCE, eventually

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def second_process(service_config, tmp_path):
    """fieldrecords as `make run` runs it, in a process of its own, on the test's broker and store."""
    env = {**os.environ, "AMQP_URI": service_config["AMQP_URI"], "MONGO_URI": service_config["MONGO_URI"],
           "EMSS_DB_SUFFIX": service_config["EMSS_DB_SUFFIX"], "EMSS_FROZEN_NOW": fr.NOW,
           "EMSS_DATA_DIR": str(tmp_path), "METRICS_PORT": str(free_port())}
    log = open(tmp_path / "fieldrecords.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "emss_common.launch", "fieldrecords"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    yield proc
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_two_processes_of_fieldrecords_read_each_other_s_writes_and_lose_nothing(
        container_factory, service_config, second_process):
    config = {**service_config, "EMSS_FROZEN_NOW": fr.NOW}
    container_factory(FieldRecordsService, config).start()
    with ClusterRpcProxy(config, timeout=PATIENCE) as rpc:
        def both_answer():
            assert second_process.poll() is None, "the second process exited"
            pids = {rpc.fieldrecords.health()["pid"] for _ in range(8)}
            assert pids == {os.getpid(), second_process.pid}
        eventually(both_answer)

        fr.seed_facts(fr.Feed(config), rpc.fieldrecords)
        filed = []
        for _ in range(6):
            record = start(rpc.fieldrecords)
            # The next calls go round the two processes: each must find what the other wrote.
            for _ in range(2):
                assert rpc.fieldrecords.get_record(fr.STAFF, record["id"])["status"] == "draft"
            work_photo(rpc.fieldrecords, record["id"])
            submitted = submit(rpc.fieldrecords, record["id"])
            assert rpc.fieldrecords.get_record(fr.STAFF, record["id"])["status"] == "submitted"
            filed.append(submitted)

        listed = rpc.fieldrecords.list_records(fr.STAFF, {"mine": True, "status": "submitted", "size": 50})
        assert sorted(r["id"] for r in listed["items"]) == sorted(r["id"] for r in filed)
        numbers = [r["number"] for r in listed["items"]]
        assert len(set(numbers)) == len(numbers) == 6
