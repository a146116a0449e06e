"""The confirmation service's voided and overdue records reach the enforcement agency's reference
consumer, through the real broker, valid against the published JSON Schema.
"""
import json
import pathlib
import sqlite3
import uuid

import jsonschema
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from confirmation.service import ConfirmationService
from emss_common.events import make_event
from services.confirmation.tests.facts import ENTERPRISE, REVIEWER, act, record_fact
from tests.agency import consume_once
from tests.waiting import PATIENCE, eventually

pytestmark = pytest.mark.broker

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs/events/enforcement-v1.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def config(service_config):
    return {**service_config, "EMSS_FROZEN_NOW": "2026-11-23T10:00:00+08:00",
            "EMSS_CONFIRMATION_SWEEP_SECONDS": 0.2, "EMSS_OUTBOUND_RELAY_SECONDS": 0.2}


@pytest.fixture
def container(container_factory, config):
    c = container_factory(ConfirmationService, config)
    c.start()
    return c


@pytest.fixture
def confirmation(container, config):
    with ServiceRpcProxy("confirmation", config, timeout=PATIENCE) as proxy:
        yield proxy


def test_voided_and_overdue_records_reach_the_agency_once_and_valid(container, confirmation, config, tmp_path):
    queue, store = f"zhifa.{uuid.uuid4().hex[:8]}", tmp_path / "inbox.sqlite3"
    # the agency's queue exists before anything happens
    assert consume_once(config["AMQP_URI"], queue, store, ["record.#"]) == []
    dispatch = event_dispatcher(config)
    facts = [record_fact("r1", "YW2026000001"), record_fact("r2", "YW2026000002")]
    for fact in facts:
        dispatch("fieldrecords", "record.submitted", make_event("record.submitted", "fieldrecords", fact["id"],
                                                                {"record": fact}))
    eventually(lambda: _assert(confirmation.list_records(REVIEWER)["total"] == 2))
    confirmation.confirm_day(ENTERPRISE, "2026-11-23", act(record_ids=["r1"]))
    confirmation.review(REVIEWER, act(record_ids=["r1"], decision="void", reason="签到位置与排口不符"))
    clock = next(d.clock for d in container.dependencies if type(d).__name__ == "Clock")
    clock.set("2026-11-24T00:00:30+08:00")  # r2 was never confirmed: overdue

    lines = []

    def both_arrived():
        lines.extend(consume_once(config["AMQP_URI"], queue, store, ["record.#"]))
        assert sorted(line.split()[2] for line in lines if line.split()[1] == "NEW") == [
            "record.confirmation_overdue", "record.voided"], lines
    eventually(both_arrived)
    # Delivery is at-least-once: a copy whose confirm the relay did not see in time is published
    # again with the same id (here the jump of the service's clock ends the first attempt's claim
    # at once), and the agency answers DUPLICATE. Each fact is NEW exactly once, under one id.
    new_ids = {line.split()[3] for line in lines if line.split()[1] == "NEW"}
    assert len(new_ids) == 2
    assert all(line.split()[1] == "DUPLICATE" and line.split()[3] in new_ids
               for line in lines if line.split()[1] != "NEW"), lines

    db = sqlite3.connect(store)
    received = {m["type"]: m for m in (json.loads(b) for (b,) in db.execute("SELECT body FROM messages"))}
    db.close()
    for message in received.values():
        jsonschema.Draft202012Validator(SCHEMA).validate(message)
    voided = received["record.voided"]
    assert voided["subject"] == "r1" and voided["source"] == "emss.confirmation"
    assert voided["data"]["reason"] == "签到位置与排口不符"
    assert voided["data"]["voided_by"]["account_id"] == REVIEWER["account_id"]
    assert voided["data"]["record"] == {"id": "r1", "number": "YW2026000001"}
    assert voided["data"]["enterprise"] == {"id": "e1", "name": "上海东方化工有限公司"}
    assert voided["data"]["performed_on"] == "2026-11-23" and voided["data"]["form"]["kind"] == "ww_inspection"
    assert voided["actor"]["account_id"] == REVIEWER["account_id"]
    overdue = received["record.confirmation_overdue"]
    assert overdue["subject"] == "r2" and overdue["data"]["day"] == "2026-11-23"
    assert overdue["actor"]["username"] == "system"


def _assert(condition):
    assert condition
