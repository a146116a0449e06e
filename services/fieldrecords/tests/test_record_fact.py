"""What a submitted record's fact carries for other services: the form-level answers and computed
values (credit judges fault resolution times from them), not the inspection items."""
from datetime import datetime, timezone

from fieldrecords.usecases.records import fact


def test_the_fact_carries_form_level_answers_and_computed_values_but_not_check_items():
    record = {"id": "r1", "form_kind": "fg_fault_repair", "performed_at": datetime(2026, 11, 23, 1, tzinfo=timezone.utc),
              "content": {"values": {"fault_class": "simple",
                                     "fault_start": datetime(2026, 11, 22, 0, tzinfo=timezone.utc),
                                     "das_data": {"result": "normal", "note": None}},
                          "blocks": [{"device_id": "d1", "values": {"symptom": "无示值"}}]},
              "computed": {"values": {"response_hours": 25.0}, "blocks": [{"device_id": "d1", "values": {}}]},
              "verdict": {"passed": False, "failures": [{"field": "computed.values.response_hours"}]},
              "flags": [{"code": "duplicate_photo"}]}
    out = fact(record)
    assert out["values"] == {"fault_class": "simple", "fault_start": "2026-11-22T00:00:00+00:00"}
    assert out["computed"] == {"response_hours": 25.0}
    assert out["passed"] is False and out["flags"] == ["duplicate_photo"] and out["form_name"] == "故障维修（不定期）"
