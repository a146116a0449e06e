"""Facts and acts for the confirmation service tests: what fieldrecords publishes, what the
gateway passes on."""
import base64

from tests.images import face_jpeg, signature_png

FILER = {"account_id": "a-zhao", "username": "zhaoqiang", "staff_id": "s-zhao", "name": "赵强"}
COLLEAGUE = {"account_id": "a-zhou", "username": "zhoujie", "staff_id": "s-zhou", "name": "周杰"}
ENTERPRISE = {"account_id": "a-ent", "username": "dongfang", "roles": ["enterprise_user"], "enterprise_id": "e1",
              "name": "东方化工"}
OTHER_ENTERPRISE = {"account_id": "a-ent2", "username": "xinghuo", "roles": ["enterprise_user"],
                    "enterprise_id": "e2"}
REVIEWER = {"account_id": "a-qian", "username": "qianwei", "roles": ["reviewer"], "institution_id": "i1",
            "staff_id": "s-qian", "name": "钱伟"}
# 赵强 files and also holds the reviewer role
FILER_REVIEWER = {**FILER, "roles": ["field_staff", "reviewer"], "institution_id": "i1"}
ORIGIN = {"ip": "10.1.2.3", "user_agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47"}


def b64(data):
    return base64.b64encode(data).decode()


def act(**kw):
    return {"signature": {"name": "signature.png", "content_base64": b64(signature_png())},
            "photo": {"name": "work.jpg", "content_base64": b64(face_jpeg())}, "origin": ORIGIN, **kw}


def record_fact(record_id, number, filer=FILER, submitted_at="2026-11-23T09:40:00+08:00", enterprise_id="e1",
                **kw):
    return {"id": record_id, "number": number, "task_id": "t1", "institution_id": "i1",
            "enterprise_id": enterprise_id, "enterprise_name": "上海东方化工有限公司", "district": "浦东新区",
            "outlet_id": "o1", "outlet_name": "废水总排口DW001", "outlet_kind": "wastewater",
            "form_kind": "ww_inspection", "form_name": "日常巡检", "performed_at": "2026-11-23T01:10:00+00:00",
            "performed_on": "2026-11-23", "submitted_at": submitted_at, "filer": filer,
            "device_ids": ["d1"], "devices": [{"id": "d1", "name": "COD在线分析仪", "model": "CODmax",
                                               "factor_code": "w01018"}],
            "check_in": {"at": "2026-11-23T01:10:00+00:00", "wgs84": {"lng": 121.5453, "lat": 31.2212}},
            "check_out": {"at": "2026-11-23T01:40:00+00:00", "wgs84": {"lng": 121.5455, "lat": 31.2213}},
            "passed": True, "failures": [], "flags": [], **kw}


def trip_fact(trip_id, self_monitoring=False, enterprise_id="e1"):
    return {"id": trip_id, "number": "CY2026000001", "sampling_task_id": "st1", "task_title": "2026年第四季度自行监测",
            "institution_id": "i9", "enterprise_id": enterprise_id, "enterprise_name": "上海东方化工有限公司",
            "district": "浦东新区", "self_monitoring": self_monitoring,
            "leader": {"account_id": "a-wu", "staff_id": "s-wu", "name": "吴刚"},
            "status": "completed" if self_monitoring else "awaiting_confirmation",
            "departed_at": "2026-11-23T02:45:00+00:00", "arrived_at": "2026-11-23T02:00:00+00:00",
            "samples": 2, "flags": []}
