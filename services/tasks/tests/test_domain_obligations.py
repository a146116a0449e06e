"""What a task owes, stated as the rules: plan windows, the standard's default where the plan is
silent for a form the outlet's devices need, report obligations 5 working days after the work,
and when a window counts as closed (its last day, then the grace hours)."""
from datetime import date, datetime, timedelta, timezone

from tasks.domain import obligations as ob
from tasks.domain.reports import UploadDeadline

TASK = {"id": "t1", "start": date(2026, 11, 2), "end": date(2027, 11, 1), "outlet_ids": ["o1", "o2"],
        "plan": [{"id": "p1", "outlet_id": "o1", "form_kind": "fg_inspection_extractive",
                  "frequency": {"kind": "weekly"}}]}
OUTLETS = {"o1": {"id": "o1", "kind": "flue_gas"}, "o2": {"id": "o2", "kind": "wastewater"}}
SO2 = {"id": "d1", "outlet_id": "o1", "kind": "cems", "factor_code": "a21026", "construction_status": "已建成"}
COD = {"id": "d2", "outlet_id": "o2", "kind": "water_analyzer", "factor_code": "w01018"}


def utc(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc)


# ---------- what is owed ----------

def test_a_cems_needs_inspection_calibration_and_the_periodic_check_by_default():
    assert ob.needed_forms(OUTLETS["o1"], [SO2]) == ["fg_inspection_extractive", "fg_periodic_check",
                                                      "fg_calibration"]


def test_the_nmhc_inspection_is_owed_only_where_an_nmhc_analyser_is_registered():
    nmhc = {**SO2, "id": "d3", "factor_code": "a24088"}
    assert "fg_inspection_nmhc" not in ob.needed_forms(OUTLETS["o1"], [SO2])
    assert ob.needed_forms(OUTLETS["o1"], [nmhc])[0] == "fg_inspection_nmhc"


def test_a_water_outlet_needs_inspection_standard_check_and_monthly_comparison():
    assert ob.needed_forms(OUTLETS["o2"], [COD]) == ["ww_inspection", "ww_standard_check", "ww_comparison"]
    sampler_only = {"id": "d4", "outlet_id": "o2", "kind": "water_sampler"}
    assert ob.needed_forms(OUTLETS["o2"], [sampler_only]) == ["ww_inspection"]


def test_devices_out_of_service_need_nothing():
    for status in ("在建", "停用"):
        assert ob.needed_forms(OUTLETS["o1"], [{**SO2, "construction_status": status}]) == []


def test_the_plan_covers_a_form_and_its_interchangeable_forms_the_default_fills_the_rest():
    items = ob.default_items(TASK, OUTLETS, [SO2, COD])
    got = {(i["outlet_id"], i["form_kind"]) for i in items}
    # o1 plans an inspection (extractive): no default inspection there, the others are owed
    assert got == {("o1", "fg_periodic_check"), ("o1", "fg_calibration"), ("o2", "ww_inspection"),
                   ("o2", "ww_standard_check"), ("o2", "ww_comparison")}
    planned_dilution = {**TASK, "plan": [{**TASK["plan"][0], "form_kind": "fg_inspection_dilution"}]}
    assert ("o1", "fg_inspection_extractive") not in {
        (i["outlet_id"], i["form_kind"]) for i in ob.default_items(planned_dilution, OUTLETS, [SO2])}


def test_a_default_inspection_is_fulfilled_by_any_of_the_cems_inspection_forms():
    bare = {**TASK, "plan": []}
    [inspection] = [i for i in ob.default_items(bare, OUTLETS, [SO2]) if "inspection" in i["form_kind"]]
    assert inspection["accepted"] == ("fg_inspection_extractive", "fg_inspection_dilution", "fg_inspection_direct")


def test_a_configured_default_frequency_is_the_one_owed():
    items = ob.default_items({**TASK, "plan": []}, OUTLETS, [SO2], {"fg_calibration": {"kind": "daily"}})
    assert {i["form_kind"]: i["frequency"] for i in items}["fg_calibration"] == {"kind": "daily"}


def test_obligations_list_plan_windows_and_default_windows_with_their_source():
    week = ob.due(TASK, date(2026, 11, 2), date(2026, 11, 8), OUTLETS, [SO2, COD])
    by = {(o.outlet_id, o.form_kind): o for o in week}
    plan = by[("o1", "fg_inspection_extractive")]
    assert (plan.source, plan.plan_item_id, plan.id) == ("plan", "p1", "p1:2026-11-02")
    assert (plan.window_start, plan.window_end) == (date(2026, 11, 2), date(2026, 11, 8))
    default = by[("o2", "ww_inspection")]
    assert (default.source, default.plan_item_id) == ("standard_default", None)
    assert default.id == "std:t1:o2:ww_inspection:2026-11-02"
    assert by[("o2", "ww_comparison")].window_end == date(2026, 11, 8)   # clipped to the period asked
    month = ob.due(TASK, date(2026, 11, 2), date(2026, 11, 30), OUTLETS, [COD])
    assert [(o.window_start, o.window_end) for o in month if o.form_kind == "ww_comparison"] == [
        (date(2026, 11, 2), date(2026, 11, 30))]


# ---------- when a window is decided ----------

def test_a_window_ending_on_a_day_is_decided_two_hours_after_that_day_ends_and_not_before():
    grace = timedelta(hours=2)
    assert ob.closed_through(utc("2026-11-09T01:59:59+08:00"), grace) == date(2026, 11, 7)
    assert ob.closed_through(utc("2026-11-09T02:00:00+08:00"), grace) == date(2026, 11, 8)
    assert ob.closed_through(utc("2026-11-09T00:30:00+08:00"), timedelta(0)) == date(2026, 11, 8)


def test_closed_obligations_are_those_ending_after_the_watermark_up_to_the_closed_day():
    def ends(after, through, **kw):
        return sorted({(o.form_kind, o.window_end) for o in ob.closed_between(
            {**TASK, "outlet_ids": ["o1"]}, after, through, OUTLETS, [SO2], **kw)
            if o.form_kind == "fg_inspection_extractive"})
    assert ends(None, date(2026, 11, 7)) == []                  # the first week is still open
    assert ends(None, date(2026, 11, 8)) == [("fg_inspection_extractive", date(2026, 11, 8))]
    assert ends(date(2026, 11, 8), date(2026, 11, 15)) == [("fg_inspection_extractive", date(2026, 11, 15))]
    # approved on the 10th: the first week had ended before it took effect
    assert ends(None, date(2026, 11, 15), effective=date(2026, 11, 10)) == [
        ("fg_inspection_extractive", date(2026, 11, 15))]
    # finished on the 12th: the second week had not ended by then
    assert ends(None, date(2026, 11, 22), finished=date(2026, 11, 12)) == [
        ("fg_inspection_extractive", date(2026, 11, 8))]


def test_a_window_is_fulfilled_by_a_record_on_its_last_day_not_by_one_the_next_day():
    [week] = [o for o in ob.due(TASK, date(2026, 11, 2), date(2026, 11, 8), OUTLETS, [SO2])
              if o.form_kind == "fg_inspection_extractive"]
    assert ob.decide(week, [("r1", "fg_inspection_extractive", date(2026, 11, 8))]) == (ob.FULFILLED, ["r1"])
    assert ob.decide(week, [("r2", "fg_inspection_extractive", date(2026, 11, 9))]) == (ob.MISSED, [])
    assert ob.decide(week, [("r4", "fg_calibration", date(2026, 11, 3))]) == (ob.MISSED, [])


def test_a_plan_item_takes_its_own_form_a_default_inspection_any_cems_inspection_form():
    direct = [("r3", "fg_inspection_direct", date(2026, 11, 2))]
    [planned] = [o for o in ob.due(TASK, date(2026, 11, 2), date(2026, 11, 8), OUTLETS, [SO2])
                 if o.form_kind == "fg_inspection_extractive"]
    assert ob.decide(planned, direct) == (ob.MISSED, [])
    [default] = [o for o in ob.due({**TASK, "plan": []}, date(2026, 11, 2), date(2026, 11, 8), OUTLETS, [SO2])
                 if o.form_kind == "fg_inspection_extractive"]
    assert default.source == "standard_default"
    assert ob.decide(default, direct) == (ob.FULFILLED, ["r3"])


# ---------- reports ----------

def test_a_comparison_record_expects_its_report_five_working_days_later_across_a_weekend():
    due = ob.report_obligation("r1", "ww_comparison", date(2026, 11, 19))   # a Thursday
    assert (due.report_kind, due.id, due.due_date) == ("water_comparison", "report:r1", date(2026, 11, 26))
    assert not ob.report_missing(due.due_date, date(2026, 11, 26))
    assert ob.report_missing(due.due_date, date(2026, 11, 27))


def test_the_report_deadline_skips_the_national_day_holiday_and_counts_the_adjusted_saturday():
    # 2026-09-30 (Wed): 10-01..07 off, 10-08 Thu, 10-09 Fri, 10-10 Sat (调休 working day), 10-12, 10-13
    due = ob.report_obligation("r1", "fg_periodic_check", date(2026, 9, 30))
    assert (due.report_kind, due.due_date) == ("periodic_check", date(2026, 10, 13))


def test_a_configured_number_of_working_days_moves_the_deadline():
    assert ob.report_obligation("r1", "ww_comparison", date(2026, 11, 19), UploadDeadline(3)).due_date == \
        date(2026, 11, 24)


def test_only_comparison_and_periodic_check_records_expect_a_report():
    assert ob.report_obligation("r1", "fg_calibration", date(2026, 11, 19)) is None
    assert ob.report_obligation("r1", "ww_inspection", date(2026, 11, 19)) is None


def test_a_report_answers_the_record_it_names_or_without_names_the_work_of_that_day():
    day = date(2026, 11, 19)
    assert ob.covers({"kind": "water_comparison", "record_ids": ["r1"]}, "r1", "water_comparison", day)
    assert not ob.covers({"kind": "water_comparison", "record_ids": ["r2"]}, "r1", "water_comparison", day)
    assert not ob.covers({"kind": "periodic_check", "record_ids": ["r1"]}, "r1", "water_comparison", day)
    assert ob.covers({"kind": "water_comparison", "performed_on": "2026-11-19"}, "r1", "water_comparison", day)
    assert not ob.covers({"kind": "water_comparison", "performed_on": "2026-11-18"}, "r1", "water_comparison", day)
