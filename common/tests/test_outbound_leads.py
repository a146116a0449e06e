"""Schema 1.1 for outsiders (additions only over 1.0) and the mapping of credit's warning events
to suspected-violation leads and their follow-ups, with ids fixed by the warning."""
import copy
import json
import pathlib
import re
import uuid

import jsonschema
import pytest

from emss_common.errors import ValidationFailed
from emss_common.outbound import (TYPES, absolute_link, follow_up_message_id, from_warning_event, lead_message_id,
                                  make_message)

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA_10 = json.loads((ROOT / "docs/events/enforcement-v1.schema.json").read_text(encoding="utf-8"))
SCHEMA_11 = json.loads((ROOT / "docs/events/enforcement-v1.1.schema.json").read_text(encoding="utf-8"))
DOC = (ROOT / "docs/events/enforcement-v1.md").read_text(encoding="utf-8")
V11 = jsonschema.Draft202012Validator(SCHEMA_11)
PUBLIC = "https://emss.example.gov.cn"
REGULATOR = {"account_id": "acc-r1", "username": "pd_jg", "name": "张监管", "roles": ["regulator"],
             "district": "浦东新区"}
SYSTEM = {"account_id": None, "username": "system", "roles": ["system"], "name": None}
MARKED_AT = "2026-06-09T01:02:03.456789+00:00"


def warning(**changes):
    """A warning document as credit's warnings use case keeps it (CONTRACT.md), marked suspected."""
    doc = {"id": "W-0123456789abcdef0123", "rule": "FAULT_SLOW", "rule_name": "故障处理超时", "severity": "high",
           "category": "quality", "subject_kind": "record", "subject_id": "rec-9",
           "institution_id": "inst-1", "enterprise_id": "ent-1", "outlet_id": "out-1", "person_id": "st-7",
           "district": "浦东新区", "period_start": "2026-06-01", "period_end": "2026-06-03",
           "summary": "故障发现至修复用时 80 小时，超过 72 小时", "numbers": {"hours": 80.0, "limit": 72, "stage": "修复"},
           "evidence": [{"kind": "record", "id": "rec-9", "label": "故障维修 YW2026000009",
                         "at": "2026-06-01T02:00:00+00:00", "link": "/records/rec-9"},
                        {"kind": "report", "id": "rep-1", "label": "比对报告", "at": "2026-06-02", "link": None}],
           "status": "suspected", "raised_at": "2026-06-04T00:00:00+00:00", "updated_at": MARKED_AT,
           "trail": [{"action": "acknowledge", "by": REGULATOR, "at": "2026-06-05T01:00:00+00:00",
                      "reason": None, "order_id": None},
                     {"action": "suspect", "by": REGULATOR, "at": MARKED_AT, "reason": None, "order_id": None}],
           "lead": None, "order_ids": []}
    doc.update(changes)
    return doc


def event(type_, doc, actor=REGULATOR, event_id=None):
    return {"id": event_id or str(uuid.uuid4()), "type": type_, "version": 1, "occurred_at": MARKED_AT,
            "source": "credit", "subject": doc["id"], "actor": actor, "data": {"warning": doc}}


def closed(doc, action, status, by, at, reason=None, order_id=None):
    return {**doc, "status": status,
            "trail": doc["trail"] + [{"action": action, "by": by, "at": at, "reason": reason, "order_id": order_id}]}


def message(kwargs):
    out = make_message(source="credit", **kwargs)
    V11.validate(out)
    return out


# ----- ids -----

def test_the_lead_id_is_fixed_by_the_warning_and_the_time_of_the_mark_to_the_millisecond():
    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, "emss:lead:W-1:1780966923456"))
    assert lead_message_id("W-1", "2026-06-09T01:02:03.456Z") == expected
    assert lead_message_id("W-1", "2026-06-09T09:02:03.456999+08:00") == expected  # what MongoDB keeps of it
    assert lead_message_id("W-1", "2026-06-09T01:02:03.457Z") != expected
    assert lead_message_id("W-2", "2026-06-09T01:02:03.456Z") != expected


def test_the_same_warning_gives_the_same_message_whichever_event_carries_it():
    first = from_warning_event(event("warning.suspected", warning()), PUBLIC)
    again = from_warning_event(event("warning.suspected", warning()), PUBLIC)  # re-emitted: a new event id
    stored = warning(lead={"at": "2026-06-09T01:02:03.456+00:00", "message_id": first["id_"], "by": REGULATOR,
                           "outcome": None, "names": {}})
    after_mark = from_warning_event(event("warning.suspected", stored), PUBLIC)
    assert first == again
    assert first["id_"] == after_mark["id_"] == lead_message_id("W-0123456789abcdef0123", MARKED_AT)
    assert message(first) == message(after_mark)


def test_follow_up_ids_are_the_warning_and_its_outcome():
    doc = closed(warning(), "dismiss", "dismissed", REGULATOR, "2026-06-20T02:00:00+00:00", reason="停产")
    kwargs = from_warning_event(event("warning.dismissed", doc))
    assert kwargs["id_"] == follow_up_message_id(doc["id"], "dismissed") == str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"emss:lead:{doc['id']}:dismissed"))
    assert from_warning_event(event("warning.dismissed", doc))["id_"] == kwargs["id_"]
    assert follow_up_message_id(doc["id"], "rectified") != kwargs["id_"]


# ----- the lead -----

def test_a_warning_marked_suspected_becomes_a_violation_suspected_1_1_message():
    out = message(from_warning_event(event("warning.suspected", warning()), PUBLIC))
    assert out["schema_version"] == "1.1" and out["type"] == "violation.suspected"
    assert out["subject"] == "inst-1" and out["source"] == "emss.credit"
    assert out["occurred_at"] == "2026-06-09T01:02:03.456Z"
    assert out["actor"]["account_id"] == "acc-r1"
    data = out["data"]
    assert data["warning_id"] == "W-0123456789abcdef0123"
    assert data["rule"] == data["indicator"] == {"code": "FAULT_SLOW", "name": "故障处理超时"}
    assert data["severity"] == {"code": "high", "name": "严重"}
    assert data["institution"] == {"id": "inst-1", "name": None}
    assert data["enterprise"]["id"] == "ent-1" and data["outlet"]["id"] == "out-1"
    assert data["person"] == {"account_id": None, "staff_id": "st-7", "name": None}
    assert data["district"] == "浦东新区"
    assert data["period"] == {"start": "2026-06-01", "end": "2026-06-03"}
    assert data["description"] == "故障发现至修复用时 80 小时，超过 72 小时"
    assert data["numbers"] == {"hours": 80.0, "limit": 72, "stage": "修复"}
    assert data["evidence"] == [
        {"kind": "record", "id": "rec-9", "label": "故障维修 YW2026000009", "at": "2026-06-01T02:00:00.000Z",
         "link": "https://emss.example.gov.cn/records/rec-9"},
        {"kind": "report", "id": "rep-1", "label": "比对报告", "at": "2026-06-02", "link": None}]
    assert data["evidence_record_ids"] == ["rec-9"]
    assert data["detected_at"] == "2026-06-04T00:00:00.000Z"
    assert data["marked_by"] == {"account_id": "acc-r1", "staff_id": None, "name": "张监管"}
    assert data["marked_at"] == "2026-06-09T01:02:03.456Z"


def test_names_come_from_the_warning_or_the_caller():
    names = {"institution": "上海某环境技术有限公司", "outlet": "1#废气排放口", "enterprise": "旧名称"}
    data = from_warning_event(event("warning.suspected", warning(enterprise_name="上海某化工有限公司")),
                              names=names)["data"]
    assert data["institution"]["name"] == "上海某环境技术有限公司"
    assert data["enterprise"]["name"] == "上海某化工有限公司"
    assert data["outlet"]["name"] == "1#废气排放口"


def test_evidence_links_are_absolute_only_with_a_public_address():
    assert absolute_link("/records/r1", "https://emss.example.gov.cn/") == "https://emss.example.gov.cn/records/r1"
    assert absolute_link("records/r1", "http://10.0.0.5:8000") == "http://10.0.0.5:8000/records/r1"
    assert absolute_link("https://other.example/x", None) == "https://other.example/x"
    assert absolute_link("/records/r1", None) is None and absolute_link(None, PUBLIC) is None
    data = message(from_warning_event(event("warning.suspected", warning())))["data"]  # no public address
    assert [e["link"] for e in data["evidence"]] == [None, None]


def test_a_warning_without_an_institution_or_a_suspect_step_is_not_sent():
    with pytest.raises(ValidationFailed) as exc:
        make_message(source="credit", **from_warning_event(event("warning.suspected", warning(institution_id=None))))
    assert exc.value.field == "data.institution"
    never = warning(status="open", trail=[])
    with pytest.raises(ValidationFailed) as exc:
        from_warning_event(event("warning.suspected", never))
    assert exc.value.field == "data.warning.lead"
    with pytest.raises(ValidationFailed) as exc:
        from_warning_event(event("warning.raised", warning()))
    assert exc.value.field == "type"


def test_a_finding_of_no_catalogued_rule_goes_out_with_its_code_and_no_severity():
    data = message(from_warning_event(event("warning.suspected", warning(rule="INSPECTION", rule_name=None,
                                                                         severity=None))))["data"]
    assert data["rule"] == {"code": "INSPECTION", "name": "INSPECTION"} and data["severity"] is None


def test_numbers_must_be_plain_values():
    kwargs = from_warning_event(event("warning.suspected", warning(numbers={"days": [1, 2]})))
    with pytest.raises(ValidationFailed) as exc:
        make_message(source="credit", **kwargs)
    assert exc.value.field.startswith("data.numbers")


# ----- follow-ups -----

def test_a_rectified_lead_is_followed_up_with_the_lead_id_and_the_accepted_order():
    doc = closed(warning(order_ids=["O-1"]), "rectify", "rectified", SYSTEM, "2026-06-20T02:00:00+00:00",
                 order_id="O-1")
    out = message(from_warning_event(event("warning.rectified", doc, actor=SYSTEM)))
    assert out["type"] == "violation.rectified" and out["schema_version"] == "1.1" and out["subject"] == "inst-1"
    assert out["occurred_at"] == "2026-06-20T02:00:00.000Z"
    assert out["data"] == {"warning_id": doc["id"], "lead_message_id": lead_message_id(doc["id"], MARKED_AT),
                           "rule": {"code": "FAULT_SLOW", "name": "故障处理超时"},
                           "institution": {"id": "inst-1", "name": None}, "outcome": "rectified", "reason": None,
                           "order_id": "O-1", "by": {"account_id": None, "staff_id": None, "name": "系统"},
                           "at": "2026-06-20T02:00:00.000Z"}
    assert out["actor"]["username"] == "system"


def test_a_dismissed_lead_carries_the_regulators_reason():
    doc = closed(warning(), "dismiss", "dismissed", REGULATOR, "2026-06-20T02:00:00+00:00", reason="经核实系停产期间")
    out = message(from_warning_event(event("warning.dismissed", doc)))
    assert out["type"] == "violation.dismissed"
    assert out["data"]["reason"] == "经核实系停产期间" and out["data"]["outcome"] == "dismissed"
    assert out["data"]["by"] == {"account_id": "acc-r1", "staff_id": None, "name": "张监管"}
    with pytest.raises(ValidationFailed) as exc:  # the agency is never told "dismissed" without why
        make_message(source="credit", **from_warning_event(event("warning.dismissed", closed(
            warning(), "dismiss", "dismissed", REGULATOR, "2026-06-20T02:00:00+00:00"))))
    assert exc.value.field == "data.reason"


def test_only_a_warning_marked_suspected_gets_follow_ups():
    ordered = warning(status="ordered", trail=[{"action": "order", "by": REGULATOR, "at": MARKED_AT,
                                                "reason": None, "order_id": "O-1"}])
    assert from_warning_event(event("warning.rectified", closed(
        ordered, "rectify", "rectified", SYSTEM, "2026-06-20T02:00:00+00:00", order_id="O-1"))) is None
    opened = warning(status="open", trail=[])
    assert from_warning_event(event("warning.dismissed", closed(
        opened, "dismiss", "dismissed", REGULATOR, "2026-06-20T02:00:00+00:00", reason="误报"))) is None


# ----- the schema files: 1.1 adds, 1.0 stays valid -----

def _strip(node):
    """A schema node without its descriptions (wording may improve between versions)."""
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def test_1_1_only_adds_to_1_0():
    assert SCHEMA_11["$id"].endswith(":1.1") and SCHEMA_10["$id"].endswith(":1.0")
    assert set(SCHEMA_10["properties"]["type"]["enum"]) < set(SCHEMA_11["properties"]["type"]["enum"])
    assert SCHEMA_11["properties"]["schema_version"] == {"enum": ["1.0", "1.1"]}
    assert set(SCHEMA_10["required"]) == set(SCHEMA_11["required"])
    for name, node in SCHEMA_10["$defs"].items():
        if name == "violation.suspected":  # the reserved 1.0 shape: kept for 1.0 messages, extended for 1.1
            assert _strip(SCHEMA_11["$defs"]["violation.suspected@1.0"]) == _strip(node)
            new = SCHEMA_11["$defs"][name]
            assert set(node["required"]) <= set(new["required"])
            assert all(_strip(new["properties"][k]) == _strip(v) for k, v in node["properties"].items())
        else:
            assert _strip(SCHEMA_11["$defs"][name]) == _strip(node), name
    assert set(TYPES) == set(SCHEMA_11["properties"]["type"]["enum"])


def _doc_examples():
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC, re.S)]


def test_every_1_0_example_and_message_shape_is_valid_under_1_1():
    examples = [m for m in _doc_examples() if m.get("schema_version") == "1.0" and m.get("data")]  # §2 is a frame
    assert examples
    old_lead = {"schema_version": "1.0", "id": "m-1", "type": "violation.suspected",
                "occurred_at": "2026-04-01T02:00:00.000Z", "source": "emss.credit", "subject": "inst-1",
                "actor": {"account_id": None, "username": "system", "name": "系统", "roles": ["system"]},
                "data": {"institution": {"id": "inst-1", "name": None}, "enterprise": None, "outlet": None,
                         "district": None, "period": {"start": "2026-01-01", "end": "2026-03-31"},
                         "indicator": {"code": "om_frequency", "name": "运维频次"}, "description": "巡检间隔超过7天",
                         "evidence_record_ids": ["rec-1"], "detected_at": "2026-04-01T02:00:00.000Z"}}
    for example in examples + [old_lead]:
        jsonschema.Draft202012Validator(SCHEMA_10).validate(example)
        V11.validate(example)


def test_the_1_1_examples_in_the_document_are_valid():
    examples = [m for m in _doc_examples() if m.get("schema_version") == "1.1"]
    assert sorted(m["type"] for m in examples) == ["violation.dismissed", "violation.rectified",
                                                   "violation.suspected"]
    for example in examples:
        V11.validate(example)
        with pytest.raises(jsonschema.ValidationError):  # the 1.0 file does not know them
            jsonschema.Draft202012Validator(SCHEMA_10).validate(example)


@pytest.mark.parametrize("field", ["warning_id", "rule", "severity", "numbers", "evidence", "marked_at",
                                   "institution"])
def test_a_1_1_lead_missing_a_required_field_is_invalid(field):
    lead = message(from_warning_event(event("warning.suspected", warning()), PUBLIC))
    del lead["data"][field]
    with pytest.raises(jsonschema.ValidationError):
        V11.validate(lead)


def test_a_lead_that_says_1_1_must_have_the_1_1_fields_and_follow_ups_must_say_1_1():
    lead = message(from_warning_event(event("warning.suspected", warning()), PUBLIC))
    with pytest.raises(jsonschema.ValidationError):
        V11.validate({**lead, "data": {k: v for k, v in lead["data"].items() if k != "marked_by"}})
    doc = closed(warning(), "dismiss", "dismissed", REGULATOR, "2026-06-20T02:00:00+00:00", reason="停产")
    follow_up = message(from_warning_event(event("warning.dismissed", doc)))
    with pytest.raises(jsonschema.ValidationError):
        V11.validate({**follow_up, "schema_version": "1.0"})
    bad = copy.deepcopy(follow_up)
    bad["data"]["outcome"] = "rectified"
    with pytest.raises(jsonschema.ValidationError):
        V11.validate(bad)
    bad["data"] = {k: v for k, v in follow_up["data"].items() if k != "lead_message_id"}
    with pytest.raises(jsonschema.ValidationError):
        V11.validate(bad)


def test_a_relative_evidence_link_is_invalid_for_outsiders():
    lead = message(from_warning_event(event("warning.suspected", warning()), PUBLIC))
    lead["data"]["evidence"][0]["link"] = "/records/rec-9"
    with pytest.raises(jsonschema.ValidationError):
        V11.validate(lead)
    kwargs = from_warning_event(event("warning.suspected", warning()), PUBLIC)
    kwargs["data"]["evidence"][0]["link"] = "/records/rec-9"
    with pytest.raises(ValidationFailed) as exc:
        make_message(source="credit", **kwargs)
    assert exc.value.field == "data.evidence.0.link"
