"""Contracts, O&M tasks and plans, sampling tasks, report uploads (the tasks service)."""
import base64

from flask import Response, request

from emss_common.schema import DecisionSchema

from .. import lookups
from ..schemas import tasks as ts
from . import args, body, json_object, route, services
from .roles import INSTITUTION_ADMIN, INSTITUTION_MEMBERS, ENTERPRISE_USER, REGULATOR, SYSADMIN

READERS = INSTITUTION_MEMBERS + [ENTERPRISE_USER, REGULATOR, SYSADMIN]
C, T, S, R = "合同管理", "运维任务", "自行监测采样任务", "上传报告"


@route("/contracts", "POST", [INSTITUTION_ADMIN], "登记合同（草稿）", C, body=ts.ContractSchema, status=201)
def create_contract(actor):
    return services().tasks.create_contract(actor, body())


@route("/contracts", "GET", READERS, "合同列表（监管方按辖区；?enterprise_id= 甲方筛选）", C,
       query=ts.ContractQuerySchema)
def list_contracts(actor):
    return services().tasks.list_contracts(actor, args())


@route("/contracts/<contract_id>", "GET", READERS, "合同详情", C)
def get_contract(actor, contract_id):
    return services().tasks.get_contract(actor, contract_id)


@route("/contracts/<contract_id>", "PUT", [INSTITUTION_ADMIN], "修改草稿合同", C, body=ts.ContractSchema)
def update_contract(actor, contract_id):
    return services().tasks.update_contract(actor, contract_id, body())


@route("/contracts/<contract_id>/submit", "POST", [INSTITUTION_ADMIN], "提交合同（此后只能变更申请）", C)
def submit_contract(actor, contract_id):
    return services().tasks.submit_contract(actor, contract_id)


@route("/contracts/<contract_id>/change-requests", "POST", [INSTITUTION_ADMIN], "合同信息变更申请", C,
       body=ts.ContractChangeSchema, status=201)
def request_contract_change(actor, contract_id):
    return services().tasks.request_contract_change(actor, contract_id, body())


@route("/contracts/<contract_id>/trail", "GET", READERS, "合同留痕：各版本、变更申请及审核", C)
def contract_trail(actor, contract_id):
    return services().tasks.contract_trail(actor, contract_id)


@route("/task-change-requests", "GET", READERS, "合同与任务的信息变更申请（?kind=contract|task）", C)
def list_task_change_requests(actor):
    return services().tasks.list_change_requests(actor, args().get("kind"))


@route("/task-change-requests/<change_request_id>/decision", "POST", [REGULATOR],
       "审核合同或任务的变更申请（approve / reject）", C, body=DecisionSchema)
def decide_task_change(actor, change_request_id):
    return services().tasks.decide_change_request(actor, change_request_id, body())


@route("/tasks", "POST", [INSTITUTION_ADMIN], "运维任务申请：合同、点位、人员、设备、计划", T,
       body=ts.TaskSchema, status=201)
def create_task(actor):
    return services().tasks.create_task(actor, body())


@route("/tasks", "GET", READERS, "运维任务列表（?state=in_progress|finished|overdue）", T, query=ts.TaskQuerySchema)
def list_tasks(actor):
    return services().tasks.list_tasks(actor, args())


@route("/task-plan-defaults", "GET", READERS, "各运维内容的默认频次（计划不得低于此频次，含本系统配置的调整）", T)
def plan_defaults(actor):
    return lookups.plan_defaults()


@route("/tasks/<task_id>", "GET", READERS, "运维任务详情", T)
def get_task(actor, task_id):
    return services().tasks.get_task(actor, task_id)


@route("/tasks/<task_id>", "PUT", [INSTITUTION_ADMIN], "修改草稿或退回的任务", T, body=ts.TaskSchema)
def update_task(actor, task_id):
    return services().tasks.update_task(actor, task_id, body())


@route("/tasks/<task_id>/transitions", "POST", [INSTITUTION_ADMIN, REGULATOR],
       "任务流转：apply 提交申请 / approve 审核通过 / return 退回 / finish 完结", T, body=ts.TransitionSchema)
def transition_task(actor, task_id):
    return services().tasks.transition_task(actor, task_id, body())


@route("/tasks/<task_id>/change-requests", "POST", [INSTITUTION_ADMIN], "进行中任务的信息变更申请", T,
       body=ts.TaskChangeSchema, status=201)
def request_task_change(actor, task_id):
    return services().tasks.request_task_change(actor, task_id, body())


@route("/tasks/<task_id>/trail", "GET", READERS, "任务留痕", T)
def task_trail(actor, task_id):
    return services().tasks.task_trail(actor, task_id)


@route("/tasks/<task_id>/occurrences", "GET", READERS, "计划应完成的运维（?start=&end=）", T,
       query=ts.OccurrenceQuerySchema)
def task_occurrences(actor, task_id):
    return services().tasks.task_occurrences(actor, task_id, args())


@route("/tasks/<task_id>/maintenance", "GET", READERS,
       "运维管理视图（?view=week|month|all|overdue&plan_item_id=&start=&end=）", T, query=ts.MaintenanceQuerySchema)
def maintenance(actor, task_id):
    return services().tasks.maintenance(actor, task_id, args())


@route("/tasks/<task_id>/report-obligations", "GET", READERS, "该任务应上传的比对/校验报告及其状态", R)
def report_obligations(actor, task_id):
    return services().tasks.report_obligations(actor, task_id)


@route("/sampling-tasks", "POST", [INSTITUTION_ADMIN], "委托任务申请", S, body=ts.CommissionSchema, status=201)
def commission_sampling(actor):
    return services().tasks.commission_sampling(actor, body())


@route("/sampling-tasks", "GET", READERS, "采样任务列表（?stage=）", S)
def list_sampling_tasks(actor):
    return services().tasks.list_sampling_tasks(actor, args())


@route("/sampling-tasks/<task_id>", "GET", READERS, "采样任务详情", S)
def get_sampling_task(actor, task_id):
    return services().tasks.get_sampling_task(actor, task_id)


@route("/sampling-tasks/<task_id>/scheme", "PUT", [INSTITUTION_ADMIN], "方案编制", S, body=ts.SchemeSchema)
def set_sampling_scheme(actor, task_id):
    return services().tasks.set_sampling_scheme(actor, task_id, body())


@route("/sampling-tasks/<task_id>/plan", "PUT", [INSTITUTION_ADMIN], "采样计划", S, body=ts.SamplingPlanSchema)
def set_sampling_plan(actor, task_id):
    return services().tasks.set_sampling_plan(actor, task_id, body())


@route("/sampling-tasks/<task_id>/advance", "POST", [INSTITUTION_ADMIN], "进入下一阶段（输入须完整）", S)
def advance_sampling(actor, task_id):
    return services().tasks.advance_sampling(actor, task_id)


def report_payload():
    """multipart/form-data (a file plus fields) or JSON with file.content_base64."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        payload = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
        if "record_ids" in request.form:
            payload["record_ids"] = [v for v in request.form.getlist("record_ids") if v]
        if upload is not None:  # a missing file is named after the metadata is checked, as the service does
            payload["file"] = {"name": upload.filename,
                               "content_base64": base64.b64encode(upload.read()).decode()}
        return payload
    return json_object()


@route("/reports", "POST", [INSTITUTION_ADMIN], "上传报告（PDF/PNG/JPEG，按内容识别）", R,
       body=ts.ReportMetaSchema, status=201, payload=report_payload, files={"file": "请选择报告文件"})
def upload_report(actor):
    return services().tasks.upload_report(actor, body())


@route("/reports", "GET", READERS, "报告清单（?task_id=）", R)
def list_reports(actor):
    return services().tasks.list_reports(actor, args())


@route("/reports/<report_id>/file", "GET", READERS, "下载报告文件", R)
def download_report(actor, report_id):
    f = services().tasks.download_report(actor, report_id)
    return Response(base64.b64decode(f["content_base64"]), mimetype=f["content_type"],
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''" + _quote(f["name"])})


def _quote(name):
    from urllib.parse import quote
    return quote(name)
