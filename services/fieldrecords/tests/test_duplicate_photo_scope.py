"""A duplicate_photo flag names the look-alike's record, number and photo only to those who may
see that record (issue 10, defect 5): another institution, enterprise or district learns only
that a look-alike exists elsewhere; a regulator over both districts sees both."""
from tests import images

from .conftest import DEVICE, INST, OUTLET, STAFF, ENTERPRISE, TASK, at_outlet, b64, client_id
from .form_samples import sample_content
from tests.waiting import eventually

KIND = "fg_calibration"
# A second institution filing for another enterprise in another district.
INST2 = {**INST, "id": "i2", "name": "上海净源运维有限公司", "district": "徐汇区",
         "staff": [{"id": "x1", "name": "孙磊"}]}
ENT2 = {"id": "e2", "name": "上海徐汇热电有限公司", "district": "徐汇区", "version": 1}
OUTLET2 = {**OUTLET, "id": "o3", "enterprise_id": "e2", "longitude": 121.43, "latitude": 31.18}
DEVICE2 = {**DEVICE, "id": "d4", "enterprise_id": "e2", "outlet_id": "o3", "serial_number": "SN-004"}
TASK2 = {**TASK, "id": "t2", "institution_id": "i2", "enterprise_id": "e2", "district": "徐汇区",
         "outlet_ids": ["o3"], "staff_ids": ["x1"], "device_ids": ["d4"],
         "plan": [{"id": "p2", "outlet_id": "o3", "form_kind": KIND, "frequency": {"kind": "weekly"}}]}
OTHER_STAFF = {"account_id": "a-x1", "username": "sunlei", "roles": ["field_staff"], "institution_id": "i2",
               "staff_id": "x1", "name": "孙磊"}
PUDONG_REGULATOR = {"account_id": "a-r1", "username": "pd_reg", "roles": ["regulator"], "district": "浦东新区"}
CITY_REGULATOR = {"account_id": "a-r2", "username": "city_reg", "roles": ["regulator"], "district": "*"}
NAMES = {"other_subject_id", "other_number", "other_photo_id"}


def _second_world(feed, fr):
    feed.send("registry", "institution.published", "i2", {"institution": INST2})
    feed.send("registry", "enterprise.registered", "e2", {"enterprise": ENT2})
    feed.send("registry", "outlet.added", "o3", {"outlet": OUTLET2})
    feed.send("registry", "device.registered", "d4", {"device": DEVICE2})
    feed.send("tasks", "task.approved", "t2", {"task": TASK2})

    def visible():
        tasks = fr.my_tasks(OTHER_STAFF)
        assert tasks and tasks[0]["outlets"] and tasks[0]["outlets"][0]["devices"], tasks
    eventually(visible)


def _file(fr, actor, task_id, outlet, photo):
    record = fr.start_record(actor, {"submission_id": client_id(), "task_id": task_id, "outlet_id": outlet["id"],
                                     "form_kind": KIND, "check_in": at_outlet(outlet)})
    shown = fr.add_record_photo(actor, record["id"], {"upload_id": client_id(), "kind": "work",
                                                      "file": {"name": "work.jpg", "content_base64": b64(photo)}})
    return record, shown


def _submit(fr, actor, record, outlet, device):
    return fr.submit_record(actor, record["id"], {
        "submission_id": client_id(), "check_out": at_outlet(outlet),
        "content": sample_content(KIND, [device]), "signature": {"content_base64": b64(images.signature_png())}})


def _duplicate_flags(view):
    return ([f for f in view["flags"] if f["code"] == "duplicate_photo"],
            [f for p in view.get("photos", []) for f in p["flags"] if f["code"] == "duplicate_photo"])


def _says_only_elsewhere(view):
    on_record, on_photos = _duplicate_flags(view)
    assert on_record and on_photos
    for f in on_record + on_photos:
        assert f["elsewhere"] is True and not NAMES & f.keys(), f


def test_a_look_alike_in_another_institution_is_not_named(seeded, feed):
    _second_world(feed, seeded)
    original = images.face_jpeg()
    theirs, _ = _file(seeded, OTHER_STAFF, "t2", OUTLET2, original)          # their draft
    mine, shown = _file(seeded, STAFF, "t1", OUTLET, images.variant(original))

    assert [f for f in shown["flags"] if f["code"] == "duplicate_photo"]
    assert not any(NAMES & f.keys() for f in shown["flags"]), shown["flags"]
    _says_only_elsewhere(seeded.get_record(STAFF, mine["id"]))
    listed = seeded.list_records(STAFF, {"status": "draft"})["items"]
    assert not any(NAMES & f.keys() for r in listed for f in r["flags"])

    _submit(seeded, STAFF, mine, OUTLET, DEVICE)
    _says_only_elsewhere(seeded.get_record(ENTERPRISE, mine["id"]))
    _says_only_elsewhere(seeded.get_record(PUDONG_REGULATOR, mine["id"]))
    # Even a regulator of both districts is not shown a draft it may not open.
    _says_only_elsewhere(seeded.get_record(CITY_REGULATOR, mine["id"]))

    _submit(seeded, OTHER_STAFF, theirs, OUTLET2, DEVICE2)
    on_record, on_photos = _duplicate_flags(seeded.get_record(CITY_REGULATOR, mine["id"]))
    for f in on_record + on_photos:
        assert f["other_subject_id"] == theirs["id"] and f["other_number"] == theirs["number"], f
    _says_only_elsewhere(seeded.get_record(PUDONG_REGULATOR, mine["id"]))


def test_the_owning_institution_sees_which_of_its_own_records_looks_alike(seeded):
    original = images.face_jpeg()
    first, _ = _file(seeded, STAFF, "t1", OUTLET, original)
    second, shown = _file(seeded, STAFF, "t1", OUTLET, images.variant(original))
    [flag] = [f for f in shown["flags"] if f["code"] == "duplicate_photo"]
    assert flag["other_subject_id"] == first["id"] and flag["other_number"] == first["number"]
