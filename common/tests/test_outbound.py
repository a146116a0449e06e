"""Outbound messages for the enforcement agency, without a broker: the v1 schema (marshmallow at
publish time, the JSON Schema files outsiders get, kept in step), the outbox and its relay.
The 1.1 leads (violation.*) and their mapping from credit's warnings: test_outbound_leads.py."""
import json
import pathlib
import re

import jsonschema
import pytest
from marshmallow import fields as mfields

from emss_common import outbound
from emss_common.clock import FrozenClock
from emss_common.errors import ValidationFailed
from emss_common.outbound import (INDEXES, OUTBOX, TYPES, OutboundOutbox, OutboundSettings, Unroutable,
                                  from_record_event, make_message, schema_version)
from emss_common.store import ensure_indexes, open_database

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs/events/enforcement-v1.schema.json").read_text(encoding="utf-8"))
SCHEMA_11 = json.loads((ROOT / "docs/events/enforcement-v1.1.schema.json").read_text(encoding="utf-8"))
DOC = (ROOT / "docs/events/enforcement-v1.md").read_text(encoding="utf-8")


def valid(message):
    """Valid under the schema file of its version and every later 1.x file (additions only)."""
    if message["schema_version"] == "1.0":
        jsonschema.Draft202012Validator(SCHEMA).validate(message)
    jsonschema.Draft202012Validator(SCHEMA_11).validate(message)
    return message


PARTY = {"id": "inst-1", "name": "上海某环境技术有限公司"}
RECORD_FACTS = {
    "record": {"id": "rec-1", "number": "YW2026000001"},
    "form": {"kind": "ww_inspection", "name": "日常巡检"},
    "institution": PARTY, "enterprise": {"id": "ent-1", "name": "上海某化工有限公司"},
    "outlet": {"id": "out-1", "name": "1#废水排放口"}, "district": "浦东新区",
    "performed_on": "2026-06-15", "performed_at": "2026-06-15T09:05:00+08:00",
    "filer": {"account_id": "acc-7", "staff_id": "st-7", "name": "李运维"},
}
SAMPLES = {
    "record.voided": {**RECORD_FACTS, "voided_by": {"account_id": "acc-9", "staff_id": "st-9", "name": "王审核"},
                      "voided_at": "2026-06-15T15:30:00+08:00", "reason": "照片与现场不符"},
    "record.confirmation_overdue": {**RECORD_FACTS, "day": "2026-06-15", "due_at": "2026-06-15T23:59:59+08:00",
                                    "overdue_at": "2026-06-16T00:01:00+08:00"},
    "violation.suspected": {"institution": PARTY, "enterprise": None, "outlet": None, "district": None,
                            "period": {"start": "2026-01-01", "end": "2026-03-31"},
                            "indicator": {"code": "OM_MISSED", "name": "运维频次不足"},
                            "description": "一季度日常巡检间隔超过7天", "evidence_record_ids": ["rec-1", "rec-2"],
                            "detected_at": "2026-04-01T02:00:00Z",
                            "warning_id": "W-0123456789abcdef0123",
                            "rule": {"code": "OM_MISSED", "name": "运维频次不足"},
                            "severity": {"code": "high", "name": "严重"}, "person": None,
                            "numbers": {"days": 9, "limit": 7},
                            "evidence": [{"kind": "record", "id": "rec-1", "label": "日常巡检 YW2026000001",
                                          "at": "2026-01-03T09:00:00+08:00",
                                          "link": "https://emss.example.gov.cn/records/rec-1"}],
                            "marked_by": {"account_id": "acc-1", "staff_id": None, "name": "张监管"},
                            "marked_at": "2026-04-02T02:00:00Z"},
    "credit.evaluated": {"institution": PARTY, "period": {"start": "2025-01-01", "end": "2025-12-31"},
                         "score": 86.5, "grade": {"code": "B", "name": "良"},
                         "indicators": [{"code": "om_frequency", "name": "运维频次", "score": -3.5,
                                         "evidence_record_ids": ["rec-1"]}],
                         "evidence_record_ids": ["rec-1"], "evaluated_at": "2026-01-05T02:00:00Z"},
    "violation.rectified": {"warning_id": "W-0123456789abcdef0123",
                            "lead_message_id": "0b7d7c5e-62b4-4e5e-8f51-2f7c9f3a6b11",
                            "rule": {"code": "OM_MISSED", "name": "运维频次不足"}, "institution": PARTY,
                            "outcome": "rectified", "reason": None, "order_id": "O-1",
                            "by": {"account_id": None, "staff_id": None, "name": "系统"},
                            "at": "2026-05-01T02:00:00Z"},
    "violation.dismissed": {"warning_id": "W-0123456789abcdef0123",
                            "lead_message_id": "0b7d7c5e-62b4-4e5e-8f51-2f7c9f3a6b11",
                            "rule": {"code": "OM_MISSED", "name": "运维频次不足"}, "institution": PARTY,
                            "outcome": "dismissed", "reason": "经核实系停产期间",
                            "by": {"account_id": "acc-1", "staff_id": None, "name": "张监管"},
                            "at": "2026-05-01T02:00:00Z"},
}
REVIEWER = {"account_id": "acc-9", "username": "shenhe01", "name": "王审核", "roles": ["reviewer"]}


class FakeSender:
    """Stands in for the broker: confirms, or refuses with the exception it is given."""

    def __init__(self):
        self.sent, self.refuse, self.tries = [], None, []

    def send(self, message, probe=False):
        self.tries.append((message["id"], probe))
        if self.refuse is not None:
            raise self.refuse
        self.sent.append(message)


@pytest.fixture
def clock():
    return FrozenClock("2026-06-15T10:00:00+08:00")


@pytest.fixture
def outbox(store_config, clock):
    db = open_database("confirmation", store_config)
    ensure_indexes(db, INDEXES)
    settings = OutboundSettings(amqp_uri="amqp://unused", retry_after_seconds=30, max_backoff_seconds=300)
    return OutboundOutbox(db, clock, FakeSender(), settings, "confirmation")


# ----- the schema -----

@pytest.mark.parametrize("type_", sorted(TYPES))
def test_every_type_makes_a_message_the_published_json_schema_accepts(type_):
    message = valid(make_message(type_, "confirmation", "rec-1", SAMPLES[type_], REVIEWER))
    assert message["schema_version"] == schema_version(type_) and message["type"] == type_
    assert message["source"] == "emss.confirmation"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["occurred_at"])


def test_timestamps_go_out_in_utc_with_z_and_dates_stay_dates():
    data = make_message("record.voided", "confirmation", "rec-1", SAMPLES["record.voided"])["data"]
    assert data["voided_at"] == "2026-06-15T07:30:00.000Z"
    assert data["performed_at"] == "2026-06-15T01:05:00.000Z"
    assert data["performed_on"] == "2026-06-15"


def test_a_stored_datetime_without_zone_is_utc_but_text_without_offset_is_refused():
    from datetime import datetime
    data = {**SAMPLES["record.voided"], "voided_at": datetime(2026, 6, 15, 7, 30)}
    assert make_message("record.voided", "confirmation", "rec-1", data)["data"]["voided_at"] == \
        "2026-06-15T07:30:00.000Z"
    with pytest.raises(ValidationFailed) as exc:
        make_message("record.voided", "confirmation", "rec-1", {**data, "voided_at": "2026-06-15T15:30:00"})
    assert exc.value.field == "data.voided_at" and "时区" in exc.value.message


def test_an_automatic_step_is_sent_as_the_system_actor():
    message = make_message("record.confirmation_overdue", "confirmation", "rec-1",
                           SAMPLES["record.confirmation_overdue"], actor=None)
    assert message["actor"] == {"account_id": None, "username": "system", "name": "系统", "roles": ["system"]}
    valid(message)


def _json_props(node):
    node = _resolve(node)
    if "oneOf" in node:
        node = _resolve(next(n for n in node["oneOf"] if n.get("type") != "null"))
    return node


def _resolve(node):
    while "$ref" in node:
        node = SCHEMA_11["$defs"][node["$ref"].split("/")[-1]]  # the newest 1.x file has every type
    return node


def _same_shape(schema_cls, json_node, path):
    """Marshmallow fields and JSON Schema properties name the same fields, all required in JSON
    (marshmallow fills absent optional ones with null), down through nested objects."""
    json_node = _json_props(json_node)
    fields = schema_cls().fields
    assert set(fields) == set(json_node["properties"]), path
    assert set(json_node["required"]) == set(json_node["properties"]), path
    assert json_node["additionalProperties"] is False, path
    for name, field in fields.items():
        sub = _json_props(json_node["properties"][name])
        if isinstance(field, mfields.List) and isinstance(field.inner, mfields.Nested):
            _same_shape(type(field.inner.schema), sub["items"], f"{path}.{name}[]")
        elif isinstance(field, mfields.Nested):
            _same_shape(type(field.schema), sub, f"{path}.{name}")


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_the_json_schema_file_and_the_publisher_describe_the_same_fields(type_):
    _same_shape(TYPES[type_], SCHEMA_11["$defs"][type_], type_)
    assert set(SCHEMA_11["properties"]["type"]["enum"]) == set(TYPES)


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_a_field_the_json_schema_requires_without_null_is_required_at_publish_time(type_):
    """Dropping a field either fails at publish (naming it) or yields null, which the JSON schema
    must then allow: the publisher never sends what the agency's validator would refuse."""
    for name in SAMPLES[type_]:
        data = {k: v for k, v in SAMPLES[type_].items() if k != name}
        try:
            message = make_message(type_, "confirmation", "s-1", data)
        except ValidationFailed as exc:
            assert exc.field == f"data.{name}"
            continue
        assert message["data"][name] is None
        valid(message)


def test_bad_data_is_refused_naming_the_field():
    data = {**SAMPLES["record.voided"], "reason": ""}
    with pytest.raises(ValidationFailed) as exc:
        make_message("record.voided", "confirmation", "rec-1", data)
    assert exc.value.field == "data.reason"
    with pytest.raises(ValidationFailed) as exc:
        make_message("record.voided", "confirmation", "rec-1", {**data, "reason": "x", "voided_at": "昨天"})
    assert exc.value.field == "data.voided_at" and "ISO 8601" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        make_message("record.voided", "confirmation", "rec-1", {**data, "reason": "x", "extra": 1})
    assert exc.value.field == "data.extra"
    with pytest.raises(ValidationFailed) as exc:
        make_message("record.deleted", "confirmation", "rec-1", {})
    assert exc.value.field == "type"
    with pytest.raises(ValidationFailed) as exc:
        make_message("record.voided", "confirmation", "rec-1", SAMPLES["record.voided"],
                     occurred_at="2026-06-15 15:30")
    assert exc.value.field == "occurred_at"


def test_the_example_in_the_document_is_valid():
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", DOC, re.S)]
    example = next(b for b in blocks if b["schema_version"] == "1.0" and b["data"])  # §5; §2 is a frame
    valid(example)
    assert example["type"] == "record.voided"


# ----- internal record events to outbound messages -----

def confirmation_event(type_, **record):
    """An internal event as confirmation emits it (data.record = its record fact)."""
    fact = {"id": "rec-1", "number": "YW2026000001", "task_id": "t-1", "institution_id": "inst-1",
            "enterprise_id": "ent-1", "enterprise_name": "上海某化工有限公司", "district": "浦东新区",
            "outlet_id": "out-1", "outlet_name": "1#废水排放口", "form_kind": "ww_inspection", "form_name": "日常巡检",
            "day": "2026-06-15", "performed_on": "2026-06-15", "submitted_at": "2026-06-15T02:00:00+00:00",
            "filer": {"account_id": "acc-7", "username": "yunwei01", "staff_id": "st-7", "name": "李运维"},
            "status": "voided", "overdue": False, "overdue_at": None, "late": False, "status_label": "作废",
            "due_at": "2026-06-15T15:59:59+00:00", **record}
    return {"id": "ev-1", "type": type_, "version": 1, "occurred_at": "2026-06-15T07:30:00+00:00",
            "source": "confirmation", "subject": "rec-1", "actor": REVIEWER, "data": {"record": fact}}


def test_a_voided_record_event_becomes_a_record_voided_message_with_the_same_id():
    review = {"act_id": "act-1", "at": "2026-06-15T07:30:00+00:00", "decision": "void", "reason": "照片与现场不符",
              "by": {"account_id": "acc-9", "username": "shenhe01", "name": "王审核", "staff_id": "st-9",
                     "roles": ["reviewer"], "institution_id": "inst-1", "enterprise_id": None}}
    kwargs = from_record_event(confirmation_event("record.voided", review=review, reason="照片与现场不符"))
    message = valid(make_message(source="confirmation", **kwargs))
    assert message["id"] == "ev-1" and message["subject"] == "rec-1"
    assert message["occurred_at"] == "2026-06-15T07:30:00.000Z"
    data = message["data"]
    assert data["voided_by"] == {"account_id": "acc-9", "staff_id": "st-9", "name": "王审核"}
    assert data["reason"] == "照片与现场不符" and data["voided_at"] == "2026-06-15T07:30:00.000Z"
    assert data["institution"] == {"id": "inst-1", "name": None}
    assert data["enterprise"]["name"] == "上海某化工有限公司" and data["district"] == "浦东新区"
    assert data["performed_at"] is None  # the record fact does not carry it (yet)


def test_an_overdue_record_event_becomes_a_confirmation_overdue_message():
    kwargs = from_record_event(confirmation_event("record.confirmation_overdue", status="overdue", overdue=True,
                                                  overdue_at="2026-06-15T16:00:30+00:00",
                                                  performed_at="2026-06-15T01:05:00+00:00"))
    message = valid(make_message(source="confirmation", **{**kwargs, "actor": None}))
    assert message["data"]["day"] == "2026-06-15"
    assert message["data"]["overdue_at"] == "2026-06-15T16:00:30.000Z"
    assert message["data"]["performed_at"] == "2026-06-15T01:05:00.000Z"


def test_other_internal_events_are_not_forwarded():
    with pytest.raises(ValidationFailed) as exc:
        from_record_event(confirmation_event("record.review_confirmed"))
    assert exc.value.field == "type"


# ----- the outbox -----

def counter_value(metric, *labels):
    return metric.labels(*labels)._value.get()


def test_a_confirmed_message_is_marked_sent_and_counted(outbox):
    before = counter_value(outbound.published_counter(), "confirmation", "record.voided")
    message = outbox.publish("record.voided", "rec-1", SAMPLES["record.voided"], actor=REVIEWER)
    assert outbox.sender.sent == [message]
    row = outbox.col.find_one({"id": message["id"]})
    assert row["sent"] is True and row["message"] == message and row["attempts"] == 1
    assert row["actor"] == REVIEWER
    assert counter_value(outbound.published_counter(), "confirmation", "record.voided") == before + 1


def test_bad_data_stores_nothing(outbox):
    with pytest.raises(ValidationFailed):
        outbox.publish("record.voided", "rec-1", {**SAMPLES["record.voided"], "reason": None})
    assert outbox.col.count_documents({}) == 0 and outbox.sender.sent == []


def test_a_message_the_broker_refused_waits_and_the_relay_sends_it_with_the_same_id(outbox, clock):
    outbox.sender.refuse = ConnectionRefusedError(111, "Connection refused")
    before = counter_value(outbound.failed_counter(), "confirmation", "record.voided", "connection")
    message = outbox.publish("record.voided", "rec-1", SAMPLES["record.voided"])
    row = outbox.col.find_one({"id": message["id"]})
    assert row["sent"] is False and row["last_error"].startswith("connection")
    assert counter_value(outbound.failed_counter(), "confirmation", "record.voided", "connection") == before + 1
    assert outbox.pending() == 1

    outbox.sender.refuse = None
    assert outbox.relay() == 0  # not due yet: the first attempt may still be settling
    assert outbox.sender.sent == []
    assert outbound.backlog_gauge().labels("confirmation")._value.get() == 1  # what operators see
    clock.advance(seconds=30)
    assert outbox.relay() == 1
    assert outbound.backlog_gauge().labels("confirmation")._value.get() == 0
    assert [m["id"] for m in outbox.sender.sent] == [message["id"]]
    assert outbox.sender.sent[0] == message
    assert outbox.col.find_one({"id": message["id"]})["sent"] is True
    clock.advance(seconds=600)
    assert outbox.relay() == 0 and len(outbox.sender.sent) == 1


def test_while_the_broker_is_away_a_relay_round_stops_after_its_probe(outbox, clock):
    outbox.sender.refuse = ConnectionRefusedError(111, "Connection refused")
    ids = []
    for i in range(3):
        ids.append(outbox.publish("record.voided", f"rec-{i}", SAMPLES["record.voided"])["id"])
        clock.advance(seconds=1)  # due one after the other
    outbox.sender.tries.clear()
    clock.advance(seconds=30)
    assert outbox.relay() == 0
    assert outbox.sender.tries == [(ids[0], True)]  # one probe, the others untouched
    assert [outbox.col.find_one({"id": i})["attempts"] for i in ids] == [2, 1, 1]

    outbox.sender.refuse = None
    outbox.sender.tries.clear()
    assert outbox.relay() == 2  # ids[1], ids[2] are due; ids[0] backed off to 60 s
    assert outbox.sender.tries == [(ids[1], True), (ids[2], False)]


def test_an_unroutable_message_does_not_hold_back_the_others(outbox, clock):
    outbox.sender.refuse = Unroutable("no queue bound")
    ids = []
    for i in range(2):
        ids.append(outbox.publish("record.voided", f"rec-{i}", SAMPLES["record.voided"])["id"])
        clock.advance(seconds=1)
    outbox.sender.tries.clear()
    clock.advance(seconds=30)
    outbox.relay()
    assert [t[0] for t in outbox.sender.tries] == ids


def test_repeated_failures_back_off_up_to_the_maximum(outbox, clock):
    outbox.sender.refuse = Unroutable("no queue bound")
    message = outbox.publish("record.voided", "rec-1", SAMPLES["record.voided"])
    waits = []
    for _ in range(6):
        row = outbox.col.find_one({"id": message["id"]})
        due = row["next_attempt_at"]
        due = due if due.tzinfo else due.replace(tzinfo=clock.now().tzinfo)
        waits.append(int((due - clock.now()).total_seconds()))
        clock.set(due)
        outbox.relay()
    assert waits == [30, 60, 120, 240, 300, 300]
    row = outbox.col.find_one({"id": message["id"]})
    assert row["sent"] is False and row["attempts"] == 7 and row["last_error"].startswith("unroutable")


def test_publishing_an_accepted_id_again_publishes_nothing(outbox):
    first = outbox.publish("record.voided", "rec-1", SAMPLES["record.voided"], id_="ev-1")
    again = outbox.publish("record.voided", "rec-1", SAMPLES["record.voided"], id_="ev-1")
    assert again == first and len(outbox.sender.sent) == 1
    assert outbox.col.count_documents({"id": "ev-1"}) == 1


def test_a_message_another_replica_claimed_is_left_to_it(outbox, clock):
    outbox.sender.refuse = ConnectionRefusedError(111, "Connection refused")
    message = outbox.publish("record.voided", "rec-1", SAMPLES["record.voided"])
    outbox.sender.refuse = None
    clock.advance(seconds=30)
    # The other replica claimed it a moment ago (one atomic find_one_and_update) and is sending it.
    other = OutboundOutbox(outbox.db, clock, FakeSender(), outbox.settings, "confirmation", owner="replica-b")
    assert other.outbox.claim("outbound", clock.now())["id"] == message["id"]
    assert outbox.relay() == 0
    assert outbox.sender.sent == []


def test_confirmed_messages_are_dropped_after_the_keep_period_and_unconfirmed_never(outbox, clock):
    kept = outbox.publish("record.voided", "rec-1", SAMPLES["record.voided"])
    outbox.sender.refuse = ConnectionRefusedError(111, "Connection refused")
    waiting = outbox.publish("record.voided", "rec-2", SAMPLES["record.voided"])
    clock.advance(days=6)
    outbox.relay()
    assert outbox.col.find_one({"id": kept["id"]}) is not None
    clock.advance(days=1, seconds=1)
    outbox.relay()
    assert outbox.col.find_one({"id": kept["id"]}) is None
    assert outbox.col.find_one({"id": waiting["id"]})["sent"] is False


def test_settings_come_from_the_service_config():
    s = OutboundSettings.from_config({"AMQP_URI": "amqp://a", "EMSS_OUTBOUND_EXCHANGE": "x.enf",
                                      "EMSS_OUTBOUND_RELAY_SECONDS": "5", "EMSS_OUTBOUND_MANDATORY": "0",
                                      "EMSS_OUTBOUND_KEEP_DAYS": "3"})
    assert (s.amqp_uri, s.exchange, s.relay_seconds, s.mandatory, s.keep_days) == ("amqp://a", "x.enf", 5.0,
                                                                                    False, 3.0)
    d = OutboundSettings.from_config({"AMQP_URI": "amqp://a", "EMSS_OUTBOUND_AMQP_URI": "amqp://b"})
    assert (d.amqp_uri, d.exchange, d.mandatory, d.retry_after_seconds) == ("amqp://b", "emss.enforcement",
                                                                            True, 30)


def test_the_outbox_collection_has_a_unique_id():
    assert OUTBOX == "outbox"  # the service's one outbox, shared with internal events
    assert OUTBOX in INDEXES and INDEXES[OUTBOX][0].unique
