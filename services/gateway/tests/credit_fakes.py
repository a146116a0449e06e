"""A stand-in for the services behind the gateway in the supervision tests: the registry resolves
bearer tokens named after the actors below; the credit service answers from small canned data
shaped as the credit RPCs answer (CONTRACT.md, ORDERS_API.md) and records every call."""
from emss_common.config import Settings
from emss_common.errors import Forbidden, NotFound, ValidationFailed

ACTORS = {
    "reg": {"account_id": "a-reg", "username": "reg_pd", "name": "浦东监管员", "roles": ["regulator"],
            "district": "浦东新区"},
    "city": {"account_id": "a-city", "username": "reg_city", "name": "市局监管员", "roles": ["regulator"],
             "district": "*"},
    "inst": {"account_id": "a-inst", "username": "inst_a", "name": "张明", "roles": ["institution_admin"],
             "institution_id": "i1"},
    "staff": {"account_id": "a-staff", "username": "staff_a", "name": "李强", "roles": ["field_staff"],
              "institution_id": "i1"},
    "ent": {"account_id": "a-ent", "username": "ent_a", "name": "周丽", "roles": ["enterprise_user"],
            "enterprise_id": "e1"},
    "admin": {"account_id": "a-admin", "username": "admin", "name": "系统管理员", "roles": ["sysadmin"]},
}

REFERENCE = {"roles": {"regulator": "监管方", "institution_admin": "机构管理员", "field_staff": "运维人员",
                       "reviewer": "运维审核", "enterprise_user": "排污单位", "sysadmin": "系统管理员"},
             "districts": ["黄浦区", "浦东新区", "闵行区"], "filing_statuses": {}, "institution_types": {}}

BY = {"account_id": "a-reg", "username": "reg_pd", "roles": ["regulator"], "name": "浦东监管员"}
WARNING = {
    "id": "W-0123456789abcdef0123", "rule": "FAULT_SLOW", "rule_name": "故障修复超时", "key": "r1",
    "category": "quality", "category_label": "好不好", "severity": "medium", "severity_label": "较重",
    "subject_kind": "record", "subject_id": "r1",
    "institution_id": "i1", "enterprise_id": "e1", "outlet_id": "o1",
    "district": "浦东新区", "period_start": "2026-11-02", "period_end": "2026-11-05",
    "summary": "故障发现至修复用时 80.5 小时，超过 72 小时", "numbers": {"hours": 80.5, "limit": 72},
    "evidence": [
        {"kind": "record", "id": "r1", "label": "故障维修（不定期）记录 FR-001", "at": "2026-11-05T02:00:00+00:00",
         "link": "/records/r1"},
        {"kind": "occurrence", "id": "oc1", "label": "计划运维 11-02 至 11-05", "at": None,
         "link": "/portal/tasks/om/t1/maintenance"},
        {"kind": "person", "id": "s1", "label": "运维人员 李强 上岗证有效期至2026-10-31", "at": None,
         "link": "/institutions/i1"},
        {"kind": "report", "id": "rep1", "label": "比对报告（应于2026-11-09前上传）", "at": None, "link": "/tasks/t2"},
        {"kind": "checkin", "id": "c1", "label": "签到", "at": None, "link": "/nowhere/c1"},
    ],
    "status": "open", "status_label": "新预警", "final": False,
    "raised_at": "2026-11-06T01:00:00+00:00", "updated_at": "2026-11-06T01:00:00+00:00",
    "trail": [], "lead": None, "order_ids": [], "person_id": None,
    "actions": [{"action": "acknowledge", "label": "确认"}, {"action": "dismiss", "label": "排除"},
                {"action": "order", "label": "下整改单"}, {"action": "suspect", "label": "标记疑似违法"}],
}

RULES = [
    {"code": "FAULT_SLOW", "name": "故障修复超时", "category": "quality", "applies_to": "record",
     "severity": "medium", "source": "S", "citation": "HJ 75-2017 故障72小时内修复", "note": None,
     "limits": {"FAULT_BACKUP_HOURS": {"value": 72, "label": "发现至修复（小时）", "mark": "S", "default": 72,
                                       "key": "EMSS_RULE_FAULT_BACKUP_HOURS"}}},
    {"code": "OM_MISSED", "name": "应做未做的运维", "category": "done", "applies_to": "task",
     "severity": "high", "source": "P", "citation": "运维计划", "note": None, "limits": {}},
]

OVERVIEW = {
    "month": "2026-11", "total": 10,
    "by_rule": [{"rule": "OM_MISSED", "name": "应做未做的运维", "count": 7},
                {"rule": "FAULT_SLOW", "name": "故障修复超时", "count": 3}],
    "by_district": [{"district": "浦东新区", "count": 10}],
    "by_institution": [{"institution_id": "i1", "name": "上海清源环境运维有限公司", "count": 10}],
    "by_status": [{"status": "open", "label": "新预警", "count": 10}],
    "by_category": [{"category": "done", "label": "做没做", "count": 7},
                    {"category": "quality", "label": "好不好", "count": 3}],
    "trend": [{"month": "2025-12", "count": 1}] + [{"month": f"2026-{m:02d}", "count": m * 2 % 9} for m in range(1, 12)],
}

ORDER = {
    "id": "ord1", "number": "ZG2026000001", "title": "故障修复超时整改", "note": None,
    "addressee": {"kind": "institution", "id": "i1", "name": "上海清源环境运维有限公司"}, "addressee_label": "运维机构",
    "institution_id": "i1", "enterprise_id": None, "district": "浦东新区",
    "status": "issued", "status_label": "待整改", "round": 1, "issued_on": "2026-11-06",
    "issued_at": "2026-11-06T02:00:00+00:00", "issued_by": BY, "working_days": 10, "due": "2026-11-20",
    "due_provisional": False, "overdue": False,
    "items": [{"id": "1", "title": "故障修复超时", "requirement": "说明故障修复超时原因并整改",
               "warning_ids": ["W-0123456789abcdef0123"], "inspection_ids": [], "answers": []}],
    "warning_ids": ["W-0123456789abcdef0123"], "inspection_ids": [],
    "trail": [{"action": "issue", "action_label": "下发", "by": BY, "at": "2026-11-06T02:00:00+00:00",
               "from": None, "to": "issued", "reason": None, "round": 1}],
    "may_answer": False, "may_review": False,
}

INSPECTION = {
    "id": "ins1", "kind": "comparison", "kind_label": "比对抽测", "subject_kind": "outlet", "inspected_on": "2026-11-10",
    "institution_id": "i1", "institution_name": "上海清源环境运维有限公司", "enterprise_id": "e1",
    "enterprise_name": "上海东方化工有限公司", "outlet_id": "o1", "outlet_name": "1号废气排口",
    "district": "浦东新区", "inspectors": ["王刚", "赵敏"], "items": [],
    "factors": [{"factor_code": "a21026", "factor_name": "二氧化硫", "unit": "mg/m³", "reference_value": 40.0,
                 "monitor_value": 52.0, "measured_at": "2026-11-10T02:00:00+00:00", "measure": "relative_error_pct",
                 "error": 30.0, "limit": {"limit": 15}, "passed": False,
                 "message": "二氧化硫相对误差30%，超出±15%"}],
    "findings_text": "二氧化硫比对不合格", "failed": True, "finding_ids": ["W-aaaaaaaaaaaaaaaaaaaa"], "photos": [{"id": "ph1", "name": "现场.jpg"}], "warning_ids": [],
    "recorded_at": "2026-11-10T06:00:00+00:00", "recorded_by": BY,
}


def page(items):
    return {"items": items, "total": len(items), "total_capped": False, "size": 50, "next": None, "prev": None}


class Credit:
    def __init__(self, recorder):
        self.recorder = recorder

    def __getattr__(self, method):
        def call(*args):
            self.recorder.calls.append(("credit", method, args))
            return self.recorder.answer(method, *args)
        return call


class Registry:
    def resolve_session(self, token):
        from emss_common.errors import NotAuthenticated
        if token not in ACTORS:
            raise NotAuthenticated("会话已失效")
        return {"actor": ACTORS[token]}

    def reference(self):
        return REFERENCE

    def get_institution(self, actor, institution_id):
        return {"id": institution_id, "name": "上海清源环境运维有限公司"}

    def get_enterprise(self, actor, enterprise_id):
        return {"id": enterprise_id, "name": "上海东方化工有限公司", "outlets": [{"id": "o1", "name": "1号废气排口"}]}

    def wechat_binding(self, actor):
        return {"bound": True, "may_bind": True, "institution": {"name": "上海清源环境运维有限公司", "type": "om"}
                if actor.get("institution_id") else None, "enterprise": None,
                "account": {"name": actor.get("name"), "username": actor["username"], "roles": actor["roles"],
                            "role_labels": [REFERENCE["roles"][r] for r in actor["roles"]]}}

    def __getattr__(self, method):
        return lambda *a: {"items": [], "total": 0, "size": 20, "next": None, "prev": None}


class FieldRecords:
    def list_records(self, actor, query):
        return page([{"id": "r9", "number": "FR-009", "form_name": "故障维修（不定期）", "outlet_name": "1号废气排口",
                      "check_in": {"at": "2026-11-08T01:00:00+00:00"}}])


class Services:
    """services.credit.<rpc>(...) records the call and answers from `answers` (a value, or a function
    of the call's arguments, or an exception to raise)."""

    def __init__(self, **answers):
        self.calls = []
        self.answers = {
            "list_rules": RULES, "list_warnings": page([WARNING]), "get_warning": WARNING,
            "act_on_warning": {**WARNING, "status": "acknowledged"}, "overview": OVERVIEW,
            "start_sweep": {"id": "S-1", "status": "queued", "status_label": "排队中", "done": 0, "total": 31,
                            "percent": 0.0, "start": "2026-11-01", "end": "2026-11-30"},
            "sweep_status": {"id": "S-1", "status": "done", "status_label": "已完成", "done": 31, "total": 31,
                             "percent": 100.0, "raised": 2, "again": 1, "resolved": 0,
                             "start": "2026-11-01", "end": "2026-11-30"},
            "list_orders": page([ORDER]), "get_order": ORDER, "issue_order": ORDER,
            "answer_order": {**ORDER, "status": "answered"}, "review_order": {**ORDER, "status": "accepted"},
            "order_file": {"name": "整改说明.pdf", "content_type": "application/pdf",
                           "content_base64": "JVBERi0xLjQ="},
            "list_inspections": page([INSPECTION]), "get_inspection": INSPECTION,
            "record_inspection": INSPECTION,
            "inspection_file": {"name": "现场.jpg", "content_type": "image/jpeg", "content_base64": "/9j/4A=="},
            **answers}
        self.registry = Registry()
        self.credit = Credit(self)
        self.fieldrecords = FieldRecords()

    def answer(self, method, *args):
        value = self.answers[method]
        if isinstance(value, Exception):
            raise value
        return value(*args) if callable(value) else value

    def credit_calls(self, method=None):
        return [c for c in self.calls if c[0] == "credit" and (method is None or c[1] == method)]


def make_client(**answers):
    from gateway.app import create_app
    services = Services(**answers)
    app = create_app(Settings.from_env({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "EMSS_SECRET_KEY": "x"}),
                     services=services)
    app.config["TESTING"] = True
    return app.test_client(), services


def bearer(who):
    return {"Authorization": f"Bearer {who}"}


__all__ = ["ACTORS", "Forbidden", "NotFound", "ValidationFailed", "make_client", "bearer"]
