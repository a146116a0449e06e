"""A warning marked as a suspected violation reaches the enforcement agency's reference consumer
through the real broker once, valid against schema 1.1, and then its outcome as a follow-up.

Two ways in: credit's own internal warning events fed on the bus (redeliveries and re-emissions
included), and a regulator's steps through the credit RPC (act_on_warning: suspect, then dismiss).
The consumer runs as the agency would run it, with --schema.
"""
import json
import pathlib
import sqlite3
import uuid

import jsonschema
import pytest

from nameko.standalone.rpc import ServiceRpcProxy

from credit.service import CreditService
from credit.usecases import warnings
from emss_common.context import Context
from emss_common.events import make_event
from emss_common.outbound import follow_up_message_id, lead_message_id
from emss_common.store import open_database
from services.credit.tests.findings import PUDONG, finding
from services.credit.tests.lead_facts import MARKED_AT, REGULATOR, SYSTEM, closed, warning_doc
from tests.agency import consume_once
from tests.bus import EventFeed
from tests.fakes import RecordedEvents
from tests.waiting import PATIENCE, eventually

pytestmark = pytest.mark.broker

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs/events/enforcement-v1.1.schema.json"
PUBLIC = "https://emss.example.gov.cn"


@pytest.fixture
def config(service_config):
    return {**service_config, "EMSS_OUTBOUND_RELAY_SECONDS": 0.2, "EMSS_PUBLIC_URL": PUBLIC}


@pytest.fixture
def container(container_factory, config):
    c = container_factory(CreditService, config)
    c.start()
    return c


class Agency:
    """The reference consumer in --once runs on its own queue and SQLite inbox; every line it printed."""

    def __init__(self, config, tmp_path):
        self.amqp_uri = config["AMQP_URI"]
        self.queue, self.store = f"zhifa.{uuid.uuid4().hex[:8]}", tmp_path / "inbox.sqlite3"
        self.lines = []

    def once(self):
        new = consume_once(self.amqp_uri, self.queue, self.store, ["violation.#"], schema=SCHEMA_FILE)
        self.lines.extend(new)
        return new

    def said(self, verdict, message_id):
        return [line for line in self.lines if line.split()[1] == verdict and line.split()[3] == f"id={message_id}"]

    def received(self):
        db = sqlite3.connect(self.store)
        try:
            return {m["id"]: m for m in (json.loads(b) for (b,) in db.execute("SELECT body FROM messages"))}
        finally:
            db.close()


def test_a_suspected_violation_reaches_the_agency_once_valid_then_its_outcome(container, config, tmp_path):
    agency = Agency(config, tmp_path)
    assert agency.once() == []  # the agency's queue is bound before anything happens
    feed, db = EventFeed(config), open_database("credit", config)
    doc = warning_doc()
    lead_id = lead_message_id(doc["id"], MARKED_AT)
    suspected = make_event("warning.suspected", "credit", doc["id"], {"warning": doc}, actor=REGULATOR)
    feed.send("credit", "warning.suspected", doc["id"], None, event=suspected)

    def lead_arrived():
        agency.once()
        assert agency.said("NEW", lead_id), agency.lines
    eventually(lead_arrived)

    # The same event redelivered, and the warning re-emitted under a new event id: the same lead.
    feed.send("credit", "warning.suspected", doc["id"], None, event=suspected)
    feed.send("credit", "warning.suspected", doc["id"], {"warning": doc})
    eventually(lambda: _assert(db["processed_events"].count_documents(
        {"handler": "to_enforcement", "type": "warning.suspected"}) == 2))
    assert db["outbox"].count_documents({"channel": "outbound"}) == 1
    # A confirm lost on the way: the relay publishes the message again, with the same id.
    db["outbox"].update_one({"id": lead_id, "channel": "outbound"},
                            {"$set": {"sent": False, "next_attempt_at": db["outbox"].find_one(
                                {"id": lead_id})["created_at"]}})

    def copy_arrived():
        agency.once()
        assert agency.said("DUPLICATE", lead_id), agency.lines
    eventually(copy_arrived)

    # The outcome of a warning never marked suspected is not the agency's business.
    other = closed(warning_doc("W-ffffffffffffffffffff", suspected=False), "dismiss", "dismissed", REGULATOR,
                   "2026-06-19T02:00:00+00:00", reason="误报")
    ignored = feed.send("credit", "warning.dismissed", other["id"], {"warning": other})
    rectified = closed(doc, "rectify", "rectified", SYSTEM, "2026-06-20T02:00:00+00:00", order_id="O-1")
    feed.send("credit", "warning.rectified", doc["id"], {"warning": rectified})
    follow_id = follow_up_message_id(doc["id"], "rectified")

    def follow_up_arrived():
        agency.once()
        assert agency.said("NEW", follow_id), agency.lines
    eventually(follow_up_arrived)
    eventually(lambda: _assert(db["processed_events"].find_one({"event_id": ignored["id"]}) is not None))
    assert db["outbox"].find_one({"id": follow_up_message_id(other["id"], "dismissed")}) is None

    # Each fact NEW exactly once; anything else a DUPLICATE of it (delivery is at-least-once).
    assert sorted(line.split()[3] for line in agency.lines if line.split()[1] == "NEW") == sorted(
        [f"id={lead_id}", f"id={follow_id}"])
    assert all(line.split()[1] == "DUPLICATE" for line in agency.lines if line.split()[1] != "NEW"), agency.lines
    received = agency.received()
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for message in received.values():
        validator.validate(message)
    lead, follow_up = received[lead_id], received[follow_id]
    assert lead["type"] == "violation.suspected" and lead["schema_version"] == "1.1"
    assert lead["source"] == "emss.credit" and lead["subject"] == "inst-1"
    assert lead["data"]["warning_id"] == doc["id"] and lead["data"]["rule"]["code"] == "FAULT_SLOW"
    assert lead["data"]["evidence"][0]["link"] == f"{PUBLIC}/records/rec-9"
    assert lead["actor"]["account_id"] == REGULATOR["account_id"]
    assert follow_up["type"] == "violation.rectified" and follow_up["data"]["lead_message_id"] == lead_id
    assert follow_up["data"]["order_id"] == "O-1"


def _assert(condition):
    assert condition


def test_a_regulator_marks_a_warning_suspected_and_dismisses_it_through_the_rpc(container, config, tmp_path):
    agency = Agency(config, tmp_path)
    assert agency.once() == []
    db = next(d.db for d in container.dependencies if type(d).__name__ == "Store")
    clock = next(d.clock for d in container.dependencies if type(d).__name__ == "Clock")
    db["institutions"].insert_one({"id": "i1", "name": "上海某环境技术有限公司"})  # credit's registry copy
    raised, _ = warnings.raise_finding(Context(db, clock, RecordedEvents("credit", db, clock), {}), finding())

    with ServiceRpcProxy("credit", config, timeout=PATIENCE) as credit:
        marked = credit.act_on_warning(PUDONG.to_dict(), raised["id"], {"action": "suspect"})
        assert marked["status"] == "suspected"
        lead_id = credit.get_warning(PUDONG.to_dict(), raised["id"])["lead"]["message_id"]

        def lead_arrived():
            agency.once()
            assert agency.said("NEW", lead_id), agency.lines
        eventually(lead_arrived)
        credit.act_on_warning(PUDONG.to_dict(), raised["id"], {"action": "dismiss", "reason": "经核实系停产期间"})
    follow_id = follow_up_message_id(raised["id"], "dismissed")

    def follow_up_arrived():
        agency.once()
        assert agency.said("NEW", follow_id), agency.lines
    eventually(follow_up_arrived)
    eventually(lambda: _assert(db["warnings"].find_one({"id": raised["id"]})["lead"]["outcome"] == "dismissed"))

    assert sorted(line.split()[3] for line in agency.lines if line.split()[1] == "NEW") == sorted(
        [f"id={lead_id}", f"id={follow_id}"])
    received = agency.received()
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for message in received.values():
        validator.validate(message)
    lead = received[lead_id]["data"]
    assert lead["warning_id"] == raised["id"] and lead["rule"]["code"] == "OM_MISSED"
    assert lead["institution"] == {"id": "i1", "name": "上海某环境技术有限公司"}
    assert lead["marked_by"]["account_id"] == PUDONG.account_id
    assert lead["evidence"][0]["link"] == f"{PUBLIC}/tasks/t1"
    assert received[lead_id]["occurred_at"] == lead["marked_at"]
    dismissed = received[follow_id]["data"]
    assert dismissed["lead_message_id"] == lead_id and dismissed["reason"] == "经核实系停产期间"
