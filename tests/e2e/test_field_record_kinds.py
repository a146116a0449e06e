"""Each of the 15 field-record forms filed end to end through the gateway by a field engineer signed
in through WeChat: 开始签到 → 工作照片 → 结束签到并上传, then the stored record as the enterprise
reads it (content, computed values, verdict, devices, both check-ins, photo, signature). Kinds whose
computations are judged are also filed once beyond their limits: stored, with the failure named."""
from datetime import datetime, timedelta, timezone
from statistics import mean

import pytest

from emss_common.forms import forms
from services.fieldrecords.tests.form_samples import sample_content
from tests.e2e.worlds import (download, field_world, start_record, submit_body, upload,
                              wait_for_field_task, wechat_field_api)
from tests.images import different_photo, face_jpeg, signature_png

KINDS = sorted(forms())
SHANGHAI = timezone(timedelta(hours=8))
# The work the forms describe happened this morning; the engineer checked in at 10:00 and submits at 10:40.
WORK_AT = datetime(2026, 11, 23, 3, 30, tzinfo=SHANGHAI)
TASK_DEVICES = {"wastewater": ("cod", "nh3", "sampler"), "flue_gas": ("so2", "nox", "pm", "o2", "flow", "nmhc")}


@pytest.fixture
def world(anonymous, login, system):
    w = field_world(anonymous, login)
    w["zhao"] = wechat_field_api(system, "zhaoqiang", "oEMSSzhaoqiang0000000000001")
    wait_for_field_task(w["zhao"], w["task"]["id"], devices=9)
    return w


def outlet_of(w, kind):
    return w["ww"] if forms()[kind]["outlet_kind"] == "wastewater" else w["fg"]


def devices_for(w, kind):
    return [w["devices"][k] for k in TASK_DEVICES[forms()[kind]["outlet_kind"]]]


def file(w, kind, content, n, photo, clock):
    """One record filed as the phone does it; returns the record as submitted."""
    field, outlet = w["zhao"], outlet_of(w, kind)
    clock.set("2026-11-23T10:00:00+08:00")
    status, record = start_record(field, w["task"]["id"], outlet, kind, f"start-{kind}-{n}")
    assert status == 201, record
    assert record["status"] == "draft" and record["form_kind"] == kind
    status, work = upload(field, f"/field-records/{record['id']}/photos", photo, "work.jpg",
                          upload_id=f"photo-{kind}-{n}", kind="work")
    assert status == 201, work
    clock.set("2026-11-23T10:40:00+08:00")
    status, record = field.post(f"/field-records/{record['id']}/submit",
                                submit_body(outlet, content, f"submit-{kind}-{n}", signature_png(),
                                            description="按计划完成现场运维"))
    assert status == 200, record
    return record, work


# Values computed by hand from the samples' numbers (form_samples.py), per factor.
EXPECTED = {
    "ww_standard_check": {"w01018": {"check_relative_error_pct": 3.5}, "w21003": {"check_relative_error_pct": 4.0}},
    "ww_comparison": {"w01018": {"relative_error_pct": 7.11}, "w21003": {"relative_error_pct": 6.82}},
    "fg_calibration": {f: {"zero_drift_pct_fs": 0.8, "span_drift_pct_fs": 1.0}
                       for f in ("a21026", "a21002", "a34013", "a19001", "a00000", "a24088")},
    "fg_gas_replacement": {"a21026": {"concentration_pct_fs": 90.0}, "a21002": {"concentration_pct_fs": 90.0},
                           "a19001": {"concentration_pct_fs": 83.6}, "a24088": {"concentration_pct_fs": 90.0}},
}
EXPECTED_FORM = {
    "ww_maintenance": {"work_hours": 4.0, "response_hours": 2.0, "repair_hours": 6.0, "restore_hours": 6.0},
    "fg_fault_repair": {"response_hours": 4.0, "repair_hours": 7.0, "restore_hours": 7.0},
}
# The computed value each judged kind's failing sample exceeds.
FAILS_ON = {
    "ww_maintenance": "computed.values.repair_hours",
    "fg_fault_repair": "computed.values.repair_hours",
    "ww_standard_check": "computed.blocks[0].values.check_relative_error_pct",
    "ww_comparison": "computed.blocks[0].values.relative_error_pct",
    "fg_calibration": "computed.blocks[0].values.zero_drift_pct_fs",
    "fg_gas_replacement": "computed.blocks[0].values.concentration_pct_fs",
    "fg_periodic_check": "computed.blocks[0].values.mean_difference",
}


def check_computed(kind, record):
    blocks = {b["device_id"]: b for b in record["content"]["blocks"]}
    factor = {d["id"]: d.get("factor_code") for d in record["devices"]}
    for computed in record["computed"]["blocks"]:
        expected = EXPECTED.get(kind, {}).get(factor[computed["device_id"]], {})
        for key, value in expected.items():
            assert computed["values"][key] == pytest.approx(value, abs=0.005), (kind, key, computed)
        if kind == "fg_periodic_check":       # the means of the pairs as stored
            pairs = blocks[computed["device_id"]]["values"]["pairs"]
            ref, cems = mean(p["reference_value"] for p in pairs), mean(p["cems_value"] for p in pairs)
            assert computed["values"]["pair_count"] == len(pairs)
            assert computed["values"]["reference_mean"] == pytest.approx(ref, abs=0.005)
            assert computed["values"]["mean_difference"] == pytest.approx(cems - ref, abs=0.01)
    for key, value in EXPECTED_FORM.get(kind, {}).items():
        assert record["computed"]["values"][key] == value, (kind, key, record["computed"])
    if kind in EXPECTED or kind in EXPECTED_FORM or kind == "fg_periodic_check":
        assert record["verdict"]["checks"] and all(c["passed"] for c in record["verdict"]["checks"])


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_filed_end_to_end_and_stored_with_its_computed_fields(world, kind, clock):
    w = world
    devices = devices_for(w, kind)
    content = sample_content(kind, devices, at=WORK_AT)
    used = [b["device_id"] for b in content["blocks"]]
    assert used, kind
    submitted, work = file(w, kind, content, 1, face_jpeg(), clock)

    status, record = w["enterprise"].get(f"/field-records/{submitted['id']}")
    assert status == 200 and record == submitted
    assert record["status"] == "submitted" and record["status_label"] == "已提交"
    assert record["form_name"] == forms()[kind]["name"] and record["number"].startswith("YW2026")
    assert record["filer"]["name"] == "赵强" and record["description"] == "按计划完成现场运维"
    # what was filed is what is stored (answers keep their values; nothing invented)
    assert [b["device_id"] for b in record["content"]["blocks"]] == used
    for sent, kept in zip(content["blocks"], record["content"]["blocks"]):
        for key, value in sent["values"].items():
            if not isinstance(value, str) or "T" not in value:   # datetimes are normalised
                assert kept["values"][key] == value, (key, kept["values"])
    assert [b["device_id"] for b in record["computed"]["blocks"]] == used
    check_computed(kind, record)
    assert record["verdict"]["passed"] is True and record["verdict"]["failures"] == [], record["verdict"]
    # the devices as registered, by the registry's ids
    assert [d["id"] for d in record["devices"]] == used
    by_id = {d["id"]: d for d in devices}
    for d in record["devices"]:
        assert (d["kind"], d["model"], d.get("factor_code")) == (by_id[d["id"]]["kind"], by_id[d["id"]]["model"],
                                                               by_id[d["id"]].get("factor_code"))
    # both check-ins: the server's time, the phone's GCJ-02 position turned into metres from the outlet
    assert record["check_in"]["at"] == "2026-11-23T02:00:00+00:00" and record["check_in"]["distance_m"] < 1
    assert record["check_in"]["reported"]["crs"] == "GCJ-02"
    assert record["check_out"]["at"] == "2026-11-23T02:40:00+00:00"
    assert 19 <= record["check_out"]["distance_m"] <= 21
    assert record["flags"] == [] and record["performed_on"] == "2026-11-23"
    # the work photo and the signature, as images
    assert [(p["id"], p["kind"], p["faces"] >= 1) for p in record["photos"]] == [(work["id"], "work", True)]
    assert download(w["enterprise"], f"/field-photos/{work['id']}") == (200, "image/jpeg", face_jpeg())
    assert download(w["regulator"], f"/field-records/{record['id']}/signature") == (200, "image/png", signature_png())

    failing = sample_content(kind, devices, passing=False, at=WORK_AT)
    if failing is None:           # nothing of this form is judged against a limit
        assert kind not in FAILS_ON
        assert all(not b["values"] for b in record["computed"]["blocks"]) and record["computed"]["values"] == {}
        return
    bad, _ = file(w, kind, failing, 2, different_photo(), clock)
    status, bad = w["regulator"].get(f"/field-records/{bad['id']}")
    assert status == 200 and bad["status"] == "submitted"
    assert bad["verdict"]["passed"] is False
    failures = bad["verdict"]["failures"]
    assert FAILS_ON[kind] in [f["field"] for f in failures], failures
    named = next(f for f in failures if f["field"] == FAILS_ON[kind])
    assert named["message"] and named["limit"] is not None and named["value"] is not None
