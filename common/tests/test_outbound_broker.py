"""Outbound messages on the real broker, read by the reference consumer (tools/enforcement_consumer.py,
run as the agency would run it: a separate process).

Each test has a fresh vhost. "Broker down" is a TCP relay in front of the broker that a test cuts
and restores, so the broker itself stays up for everyone else.
"""
import json
import pathlib
import socket
import sqlite3
import subprocess
import sys
import uuid
from urllib.parse import quote

import eventlet
import jsonschema
import pytest
from kombu import Connection
from kombu.simple import SimpleQueue
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook

from emss_common.nameko_deps import Clock, Outbound, ServiceBase, Store
from emss_common.outbound import OUTBOX

pytestmark = pytest.mark.broker

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONSUMER = ROOT / "tools" / "enforcement_consumer.py"
SCHEMA = json.loads((ROOT / "docs/events/enforcement-v1.schema.json").read_text(encoding="utf-8"))
EXCHANGE = "emss.enforcement"

VOIDED = {
    "record": {"id": "rec-1", "number": "YW2026000001"}, "form": {"kind": "ww_inspection", "name": "日常巡检"},
    "institution": {"id": "inst-1", "name": "上海某环境技术有限公司"},
    "enterprise": {"id": "ent-1", "name": "上海某化工有限公司"}, "outlet": {"id": "out-1", "name": "1#废水排放口"},
    "district": "浦东新区", "performed_on": "2026-06-15", "performed_at": "2026-06-15T01:05:00Z",
    "filer": {"account_id": "acc-7", "staff_id": "st-7", "name": "李运维"},
    "voided_by": {"account_id": "acc-9", "staff_id": "st-9", "name": "王审核"},
    "voided_at": "2026-06-15T07:30:00Z", "reason": "照片与现场不符",
}
REVIEWER = {"account_id": "acc-9", "username": "shenhe01", "name": "王审核", "roles": ["reviewer"]}


class Probe(ServiceBase):
    """A service that publishes outbound messages, as confirmation and credit will (its relay is
    ServiceBase's one relay)."""
    name = "enforcement_probe"
    db = Store("confirmation")
    clock = Clock()
    outbound = Outbound()

    @rpc
    def publish(self, type_, subject, data, actor=None, id_=None):
        return self.outbound.publish(type_, subject, data, actor=actor, id_=id_)


class Switch:
    """A TCP relay to the broker: cut() refuses and drops connections, restore() accepts again."""

    def __init__(self, target=("127.0.0.1", 5672)):
        self.target, self.pairs = target, []
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.server = eventlet.spawn(self._serve, self.listener)

    def _serve(self, listener):
        while True:
            try:
                client, _ = listener.accept()
                upstream = eventlet.connect(self.target)
            except OSError:
                return
            self.pairs.append((client, upstream, eventlet.spawn(self._pipe, client, upstream),
                               eventlet.spawn(self._pipe, upstream, client)))

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)  # pass the end on; cut() closes the sockets
        except OSError:
            pass

    def cut(self):
        # Stop the green threads before closing their sockets: eventlet must not be left
        # waiting on a descriptor number the OS will hand out again.
        self.server.kill()
        self.listener.close()
        for client, upstream, *pipes in self.pairs:
            for pipe in pipes:
                pipe.kill()
            for s in (client, upstream):
                _close(s)
        self.pairs = []

    def restore(self):
        self.listener = eventlet.listen(("127.0.0.1", self.port))
        self.server = eventlet.spawn(self._serve, self.listener)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def wait_until(predicate, timeout=15.0, what="condition"):
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while not predicate():
        if eventlet.hubs.get_hub().clock() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        eventlet.sleep(0.05)


def pika_url(amqp_uri, port=None):
    """The vhost URI of the nameko config as the agency would write it for pika."""
    vhost = amqp_uri.rsplit("/", 1)[1]
    return f"amqp://guest:guest@127.0.0.1:{port or 5672}/{quote(vhost, safe='')}"


class Agency:
    """The reference consumer as a separate process, with its own queue and SQLite inbox."""

    def __init__(self, tmp_path, amqp_uri, keys=("record.#",), options=()):
        self.url, self.keys, self.options = pika_url(amqp_uri), list(keys), list(options)
        self.queue = f"zhifa.{uuid.uuid4().hex[:8]}"
        self.store = tmp_path / "inbox.sqlite3"
        self.log = tmp_path / f"consumer-{self.queue}.log"
        self.proc = None

    def args(self, url=None):
        return [sys.executable, str(CONSUMER), "--url", url or self.url, "--queue", self.queue,
                "--store", str(self.store), "--idle-seconds", "0.5", *self.options, *self.keys]

    def once(self):
        """Read what is waiting; the lines printed for messages."""
        with open(self.log, "w") as out:
            proc = subprocess.Popen(self.args() + ["--once"], stdout=out, stderr=subprocess.STDOUT)
            wait_until(lambda: proc.poll() is not None, what="the consumer to finish")
        text = self.log.read_text(encoding="utf-8")
        assert proc.returncode == 0, text
        return [line for line in text.splitlines() if " LISTENING " not in line]

    def start(self, url):
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(self.args(url) + ["--max-backoff", "1"], stdout=self.out,
                                     stderr=subprocess.STDOUT)

    def lines(self):
        return self.log.read_text(encoding="utf-8").splitlines()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            wait_until(lambda: self.proc.poll() is not None, what="the consumer to stop")
            self.out.close()

    def inbox(self):
        db = sqlite3.connect(self.store)
        try:
            return [json.loads(body) for (body,) in db.execute("SELECT body FROM messages")]
        finally:
            db.close()


@pytest.fixture
def switch():
    s = Switch()
    yield s
    s.cut()


@pytest.fixture
def make_probe(container_factory, service_config):
    def make(**settings):
        config = {**service_config, "EMSS_OUTBOUND_RELAY_SECONDS": 0.1, "EMSS_OUTBOUND_RETRY_AFTER_SECONDS": 1,
                  "EMSS_OUTBOUND_MAX_BACKOFF_SECONDS": 1, "EMSS_OUTBOUND_CONNECT_TIMEOUT_SECONDS": 2,
                  "EMSS_OUTBOUND_CONFIRM_TIMEOUT_SECONDS": 5, **settings}
        container = container_factory(Probe, config)
        container.start()
        return container
    return make


@pytest.fixture
def agency(tmp_path, service_config):
    a = Agency(tmp_path, service_config["AMQP_URI"])
    yield a
    a.stop()


def publish(container, data=VOIDED, type_="record.voided", **kwargs):
    with entrypoint_hook(container, "publish") as hook:
        return hook(type_, data["record"]["id"], data, actor=REVIEWER, **kwargs)


def outbox_row(container, message_id):
    db = next(d for d in container.dependencies if getattr(d, "attr_name", None) == "db").db
    return db[OUTBOX].find_one({"id": message_id}, {"_id": 0})


def new_lines(lines, message_id):
    return [line for line in lines if f" NEW record.voided id={message_id} " in line]


def test_a_published_message_reaches_the_consumer_valid_durable_and_persistent(make_probe, agency, service_config,
                                                                               rabbit_manager):
    probe = make_probe()
    assert agency.once() == []  # the agency declares and binds its queue first
    message = publish(probe)
    assert outbox_row(probe, message["id"])["sent"] is True

    vhost = service_config["vhost"]
    with Connection(service_config["AMQP_URI"]) as conn:  # look at it on the queue, then put it back
        peeked = SimpleQueue(conn, agency.queue).get(block=True, timeout=5)
        props, info = peeked.properties, peeked.delivery_info
        peeked.requeue()
    assert props["delivery_mode"] == 2 and props["content_type"] == "application/json"
    assert props["content_encoding"] == "utf-8" and props["app_id"] == "emss"
    assert props["message_id"] == message["id"] and props["type"] == "record.voided"
    assert props["application_headers"] == {"schema_version": "1.0"}
    assert info["routing_key"] == "record.voided" and info["exchange"] == EXCHANGE
    exchange = next(e for e in rabbit_manager.get_exchanges(vhost) if e["name"] == EXCHANGE)
    assert exchange["type"] == "topic" and exchange["durable"] is True and exchange["auto_delete"] is False
    assert rabbit_manager.get_queue(vhost, agency.queue)["durable"] is True

    lines = agency.once()
    assert len(lines) == 1 and new_lines(lines, message["id"]), lines
    assert "原因" not in lines[0] and "reason=照片与现场不符" in lines[0]
    [received] = agency.inbox()
    jsonschema.Draft202012Validator(SCHEMA).validate(received)
    assert received == message
    assert agency.once() == []  # acknowledged: nothing comes back


def test_with_the_broker_unreachable_the_message_waits_in_the_outbox_and_the_relay_delivers_it(
        make_probe, agency, switch):
    probe = make_probe(EMSS_OUTBOUND_AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:{switch.port}/"
                                              f"{agency.url.rsplit('/', 1)[1]}")
    agency.once()
    switch.cut()
    message = publish(probe)  # accepted all the same
    row = outbox_row(probe, message["id"])
    assert row["sent"] is False and row["last_error"].startswith("connection")
    wait_until(lambda: outbox_row(probe, message["id"])["attempts"] >= 3, what="the relay to keep trying")
    assert outbox_row(probe, message["id"])["sent"] is False
    assert agency.once() == []

    switch.restore()
    wait_until(lambda: outbox_row(probe, message["id"])["sent"], what="the relay to deliver")
    lines = agency.once()
    assert len(new_lines(lines, message["id"])) == 1 and len(lines) == 1, lines
    assert agency.inbox()[0]["id"] == message["id"]


def test_a_connection_that_died_while_idle_is_replaced_at_once(make_probe, agency, switch):
    probe = make_probe(EMSS_OUTBOUND_AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:{switch.port}/"
                                              f"{agency.url.rsplit('/', 1)[1]}",
                       EMSS_OUTBOUND_RELAY_SECONDS=3600)
    agency.once()
    first = publish(probe)
    switch.cut()  # the kept connection is dropped (as by a broker restart) ...
    switch.restore()  # ... and the broker is back before the next message
    second = publish(probe, {**VOIDED, "record": {"id": "rec-2", "number": "YW2026000002"}})
    assert outbox_row(probe, second["id"])["sent"] is True  # no wait for the relay
    assert len(agency.once()) == 2
    assert sorted(m["id"] for m in agency.inbox()) == sorted([first["id"], second["id"]])


def test_while_the_broker_does_not_answer_callers_wait_one_timeout_not_one_each(make_probe):
    silent = eventlet.listen(("127.0.0.1", 0))  # accepts TCP, never speaks AMQP
    try:
        port = silent.getsockname()[1]
        probe = make_probe(EMSS_OUTBOUND_AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:{port}/",
                           EMSS_OUTBOUND_CONNECT_TIMEOUT_SECONDS=1, EMSS_OUTBOUND_RETRY_AFTER_SECONDS=60,
                           EMSS_OUTBOUND_RELAY_SECONDS=3600)
        clock = eventlet.hubs.get_hub().clock
        started = clock()
        first = publish(probe)
        assert clock() - started >= 0.9
        assert outbox_row(probe, first["id"])["last_error"].startswith("timeout")
        started = clock()
        second = publish(probe, {**VOIDED, "record": {"id": "rec-2", "number": "YW2026000002"}})
        assert clock() - started < 0.5
        row = outbox_row(probe, second["id"])
        assert row["sent"] is False and row["last_error"].startswith("connection")
    finally:
        silent.close()


def test_a_re_published_message_is_processed_once(make_probe, agency):
    probe = make_probe(EMSS_OUTBOUND_RELAY_SECONDS=0.1)
    agency.once()
    message = publish(probe)
    db = next(d for d in probe.dependencies if getattr(d, "attr_name", None) == "db").db
    # As if the confirm had been lost: the relay sends the same message (same id) again.
    db[OUTBOX].update_one({"id": message["id"]}, {"$set": {"sent": False, "next_attempt_at":
                                                           outbox_row(probe, message["id"])["created_at"]}})
    wait_until(lambda: outbox_row(probe, message["id"])["sent"], what="the relay to re-publish")
    lines = agency.once()
    assert [line.split()[1] for line in lines] == ["NEW", "DUPLICATE"], lines
    assert all(f"id={message['id']}" in line for line in lines)
    assert len(agency.inbox()) == 1

    # The same id given again by the service (a redelivered event forwarded twice) is not re-sent.
    again = publish(probe, id_=message["id"])
    assert again == message
    assert agency.once() == []


def test_concurrent_publishes_share_the_connection_and_all_arrive_once(make_probe, agency, service_config):
    probe = make_probe(EMSS_OUTBOUND_RELAY_SECONDS=3600)
    agency.once()
    records = [{**VOIDED, "record": {"id": f"rec-{i}", "number": f"YW20260001{i:02d}"}} for i in range(20)]

    def call(data):  # each caller its own proxy: the workers run side by side in the container
        with ServiceRpcProxy("enforcement_probe", service_config, timeout=30) as proxy:
            return proxy.publish("record.voided", data["record"]["id"], data)

    messages = list(eventlet.GreenPool(10).imap(call, records))
    assert len({m["id"] for m in messages}) == 20
    db = next(d for d in probe.dependencies if getattr(d, "attr_name", None) == "db").db
    rows = list(db[OUTBOX].find({}, {"_id": 0}))
    assert len(rows) == 20 and all(row["sent"] for row in rows)
    lines = agency.once()
    assert {line.split()[1] for line in lines} == {"NEW"}
    assert sorted(m["id"] for m in agency.inbox()) == sorted(row["id"] for row in rows)
    assert sorted(m["subject"] for m in agency.inbox()) == sorted(r["record"]["id"] for r in records)


def test_a_message_the_broker_nacks_stays_in_the_outbox(make_probe, agency, service_config, rabbit_manager):
    vhost = service_config["vhost"]
    full = f"full.{uuid.uuid4().hex[:6]}"
    rabbit_manager.create_queue(vhost, full, durable=False, auto_delete=False,
                                arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    probe = make_probe(EMSS_OUTBOUND_RELAY_SECONDS=3600)
    agency.once()
    rabbit_manager.create_queue_binding(vhost, EXCHANGE, full, "record.voided")
    message = publish(probe)
    row = outbox_row(probe, message["id"])
    assert row["sent"] is False and row["last_error"].startswith("nacked"), row


def test_a_message_no_queue_is_bound_for_waits_until_one_is(make_probe, agency):
    probe = make_probe()
    message = publish(probe)
    row = outbox_row(probe, message["id"])
    assert row["sent"] is False and row["last_error"].startswith("unroutable")
    # The agency binds its queue now; the relay may deliver while this first read is still going.
    first = agency.once()
    wait_until(lambda: outbox_row(probe, message["id"])["sent"], what="the relay to deliver")
    assert len(new_lines(first + agency.once(), message["id"])) == 1


def test_the_consumer_reconnects_after_the_broker_went_away(make_probe, agency, switch):
    probe = make_probe()
    agency.start(agency.url.replace(":5672/", f":{switch.port}/"))
    wait_until(lambda: any(" LISTENING " in line for line in agency.lines()), what="the consumer to listen")
    first = publish(probe)
    wait_until(lambda: new_lines(agency.lines(), first["id"]), what="the first message")
    switch.cut()
    wait_until(lambda: any(" DISCONNECTED " in line for line in agency.lines()), what="the consumer to notice")
    switch.restore()
    wait_until(lambda: sum(" LISTENING " in line for line in agency.lines()) == 2, what="the consumer to return")
    second = publish(probe, {**VOIDED, "record": {"id": "rec-2", "number": "YW2026000002"}})
    wait_until(lambda: new_lines(agency.lines(), second["id"]), what="the second message")
    assert agency.proc.poll() is None


def test_the_consumer_rejects_a_schema_version_it_does_not_know(agency, service_config, rabbit_manager):
    agency.once()
    body = json.dumps({"schema_version": "2.0", "id": "m-2", "type": "record.voided", "data": {}})
    rabbit_manager.publish(service_config["vhost"], EXCHANGE, "record.voided", body,
                           properties={"message_id": "m-2", "delivery_mode": 2})
    lines = agency.once()
    assert len(lines) == 1 and " REJECTED record.voided id=m-2 " in lines[0], lines
    assert agency.inbox() == []
    assert agency.once() == []  # rejected without requeue


def test_the_consumer_in_once_mode_gives_up_when_the_broker_cannot_be_reached(tmp_path):
    closed = eventlet.listen(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    proc = subprocess.Popen([sys.executable, str(CONSUMER), "--url", f"amqp://guest:guest@127.0.0.1:{port}/%2F",
                             "--store", str(tmp_path / "inbox.sqlite3"), "--once"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_until(lambda: proc.poll() is not None, what="the consumer to give up")
    assert proc.returncode == 2
    assert b"ERROR broker not reachable" in proc.stdout.read()


def test_with_schema_the_consumer_keeps_what_is_valid_and_rejects_what_is_not(tmp_path, service_config,
                                                                               rabbit_manager):
    """--schema with the 1.1 file: a 1.0 message is valid under it, a 1.1 lead missing a field is
    rejected without requeue, a message of a later 1.x is kept unchecked (it may add fields)."""
    schema_file = ROOT / "docs/events/enforcement-v1.1.schema.json"
    agency = Agency(tmp_path, service_config["AMQP_URI"], keys=("#",), options=("--schema", str(schema_file)))
    agency.once()
    envelope = {"id": "m-1", "type": "record.voided", "occurred_at": "2026-06-15T07:30:00.000Z",
                "source": "emss.confirmation", "subject": "rec-1", "actor": {**REVIEWER, "roles": ["reviewer"]}}
    messages = [{**envelope, "schema_version": "1.0", "data": VOIDED},
                {**envelope, "id": "m-2", "schema_version": "1.1", "type": "violation.dismissed", "subject": "inst-1",
                 "data": {"warning_id": "W-1", "rule": {"code": "X", "name": None}}},
                {**envelope, "id": "m-3", "schema_version": "1.2", "data": {**VOIDED, "added_in_1_2": 1}}]
    for message in messages:
        rabbit_manager.publish(service_config["vhost"], EXCHANGE, message["type"], json.dumps(message),
                               properties={"message_id": message["id"], "delivery_mode": 2})
    lines = agency.once()
    verdicts = {line.split()[3]: line.split()[1] for line in lines}
    assert verdicts == {"id=m-1": "NEW", "id=m-2": "REJECTED", "id=m-3": "NEW"}, lines
    assert "not valid against the schema" in next(line for line in lines if "id=m-2" in line)
    assert sorted(m["id"] for m in agency.inbox()) == ["m-1", "m-3"]
    assert agency.once() == []  # rejected without requeue


def test_the_consumer_refuses_to_start_with_a_schema_file_it_cannot_read(tmp_path):
    proc = subprocess.run([sys.executable, str(CONSUMER), "--store", str(tmp_path / "inbox.sqlite3"), "--once",
                           "--schema", str(tmp_path / "missing.schema.json")], capture_output=True, timeout=30)
    assert proc.returncode == 1 and b"--schema" in proc.stdout
