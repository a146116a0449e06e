"""The fieldrecords service alone on the real broker, fed registry and tasks facts as events."""
import base64
import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from fieldrecords.domain.geo import wgs84_to_gcj02
from fieldrecords.service import FieldRecordsService
from tests.waiting import PATIENCE, eventually
from tests.bus import EventFeed

NOW = "2026-11-23T10:00:00+08:00"

INST = {"id": "i1", "name": "上海清源环境运维有限公司", "type": "om", "district": "浦东新区",
        "status": "published", "valid_until": "2029-11-23", "version": 3,
        "staff": [{"id": "s1", "name": "赵强"}, {"id": "s2", "name": "钱敏"}],
        "equipment": [{"id": "eq1", "asset_number": "ZC-01", "serial_number": "FX-01", "name": "烟气分析仪",
                       "model": "3012H", "calibration_certificate_no": "JZ-2026-1", "calibration_valid_until": "2026-11-22"},
                      {"id": "eq2", "asset_number": "ZC-02", "serial_number": "LL-02", "name": "皮托管流速计",
                       "calibration_valid_until": "2027-06-30"}]}
ENT = {"id": "e1", "name": "上海东方化工有限公司", "district": "浦东新区", "version": 1}
OUTLET = {"id": "o1", "enterprise_id": "e1", "kind": "flue_gas", "name": "1#锅炉排口",
          "longitude": 121.5, "latitude": 31.2, "crs": "WGS-84", "version": 1}
OTHER_OUTLET = {"id": "o2", "enterprise_id": "e1", "kind": "flue_gas", "name": "2#锅炉排口",
                "longitude": 121.51, "latitude": 31.21, "crs": "WGS-84", "version": 1}
DEVICE = {"id": "d1", "enterprise_id": "e1", "outlet_id": "o1", "kind": "cems", "factor_code": "a21026",
          "name": "二氧化硫分析仪", "model": "URA-208A", "brand": "富士", "serial_number": "SN-001",
          "unit": "mg/m³", "range_lower": 0, "range_upper": 500, "version": 1}
DEVICE_ELSEWHERE = {**DEVICE, "id": "d2", "outlet_id": "o2", "serial_number": "SN-002"}
DEVICE_NOT_IN_TASK = {**DEVICE, "id": "d3", "serial_number": "SN-003"}
TASK = {"id": "t1", "name": "东方化工废气运维", "institution_id": "i1", "enterprise_id": "e1",
        "district": "浦东新区", "status": "in_progress", "start": "2026-11-01", "end": "2027-10-31",
        "outlet_ids": ["o1"], "staff_ids": ["s1"], "device_ids": ["d1", "d2"],
        "plan": [{"id": "p1", "outlet_id": "o1", "form_kind": "fg_calibration", "frequency": {"kind": "weekly"}}],
        "version": 2}

STAFF = {"account_id": "a-s1", "username": "zhaoqiang", "roles": ["field_staff"], "institution_id": "i1",
         "staff_id": "s1", "name": "赵强"}
NOT_ON_TASK = {**STAFF, "account_id": "a-s2", "username": "qianmin", "staff_id": "s2", "name": "钱敏"}
ENTERPRISE = {"account_id": "a-e1", "username": "dongfang", "roles": ["enterprise_user"], "enterprise_id": "e1"}


def at_outlet(outlet=OUTLET, accuracy=15.0, north_m=0.0):
    """What a phone standing at the outlet reports: GCJ-02, as WeChat's location API gives it."""
    lng, lat = wgs84_to_gcj02(outlet["longitude"], outlet["latitude"] + north_m / 111_320)
    return {"longitude": lng, "latitude": lat, "accuracy": accuracy}


def client_id():
    return uuid.uuid4().hex


def b64(data):
    return base64.b64encode(data).decode()


@pytest.fixture
def fr_config(service_config):
    return {**service_config, "EMSS_FROZEN_NOW": NOW}


@pytest.fixture
def fieldrecords(container_factory, fr_config):
    container = container_factory(FieldRecordsService, fr_config)
    container.start()
    with ServiceRpcProxy("fieldrecords", fr_config, timeout=PATIENCE) as proxy:
        yield proxy


Feed = EventFeed



@pytest.fixture
def feed(fr_config, fieldrecords):
    return Feed(fr_config)


@pytest.fixture
def seeded(feed, fieldrecords):
    return seed_facts(feed, fieldrecords)


def seed_facts(feed, fieldrecords):
    feed.send("registry", "institution.published", "i1", {"institution": INST})
    feed.send("registry", "enterprise.registered", "e1", {"enterprise": ENT})
    for o in (OUTLET, OTHER_OUTLET):
        feed.send("registry", "outlet.added", o["id"], {"outlet": o})
    for d in (DEVICE, DEVICE_ELSEWHERE, DEVICE_NOT_IN_TASK):
        feed.send("registry", "device.registered", d["id"], {"device": d})
    feed.send("tasks", "task.approved", "t1", {"task": TASK})
    # Seven events into a service just started: on a busy machine that takes more than a moment.
    eventually(lambda: _assert_task_visible(fieldrecords))
    return fieldrecords


def _assert_task_visible(fieldrecords):
    tasks = fieldrecords.my_tasks(STAFF)
    assert tasks and tasks[0]["outlets"] and tasks[0]["outlets"][0]["devices"], tasks
