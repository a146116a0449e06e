"""Sampling stages move forward only with complete inputs; reports are due in 5 working days."""
from datetime import date

import pytest

from emss_common.errors import ValidationFailed
from tasks.domain.reports import UploadDeadline, sniff
from tasks.domain.sampling import advance, missing_inputs, new_point_allowed


def task(stage, **kw):
    return {"stage": stage, "self_monitoring": False, "contract_id": "c1", "trips": [], **kw}


def test_a_commissioned_sampling_task_needs_a_contract_unless_the_enterprise_monitors_itself():
    assert missing_inputs(task("commission", contract_id=None))[0][0] == "contract_id"
    assert missing_inputs(task("commission", contract_id=None, self_monitoring=True)) == []


def test_each_stage_names_what_it_lacks():
    assert missing_inputs(task("scheme"))[0][0] == "scheme.points"
    assert missing_inputs(task("scheme", scheme={"points": [{"outlet_id": "o1", "items": []}]}))[0][0] \
        == "scheme.points[0].items"
    assert [f for f, _ in missing_inputs(task("plan", plan={"dates": ["2026-11-25"]}))] == [
        "plan.staff_ids", "plan.equipment_ids"]
    assert missing_inputs(task("sampling"))[0][0] == "trips"


def test_sampling_management_waits_for_every_trip_to_be_confirmed_by_the_enterprise():
    trips = [{"id": "t1", "departed": True, "confirmed": True}, {"id": "t2", "departed": True, "confirmed": False}]
    with pytest.raises(ValidationFailed) as exc:
        advance(task("management", trips=trips))
    assert exc.value.field == "trips"
    assert advance(task("management", trips=trips, self_monitoring=True)).value == "report"


def test_stages_go_in_order():
    done = task("plan", plan={"dates": ["2026-11-25"], "staff_ids": ["s"], "equipment_ids": ["e"]})
    assert advance(done).value == "sampling"


def test_a_new_point_only_when_the_directory_has_none_of_its_kind():
    outlets = [{"kind": "wastewater"}]
    assert new_point_allowed(outlets, "flue_gas") is True
    assert new_point_allowed(outlets, "wastewater") is False


def test_a_report_uploaded_on_the_sixth_working_day_after_issue_is_late():
    # Issued Wed 09-30; 10-01..10-07 holiday; working days 10-08, 10-09, 10-10 (Sat, 调休), 10-12, 10-13.
    rule = UploadDeadline(5)
    assert rule.due(date(2026, 9, 30)).date == date(2026, 10, 13)
    assert rule.is_late(date(2026, 9, 30), date(2026, 10, 13)) is False
    assert rule.is_late(date(2026, 9, 30), date(2026, 10, 14)) is True


def test_file_types_are_recognised_by_content():
    assert sniff(b"%PDF-1.7\n...") == "application/pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert sniff(b"MZ\x90\x00 executable") is None
    assert sniff(b"<html>%PDF-") is None
