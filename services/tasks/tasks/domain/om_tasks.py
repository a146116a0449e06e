"""O&M tasks (运维任务): what binds a contract, outlets, staff, devices and a plan, and the
lifecycle draft 草稿 → applied 待审核 → in_progress 进行中 → finished 已完结 (returned 退回 on review)."""
from dataclasses import dataclass
from datetime import date
from enum import Enum

from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from emss_common.vocabulary import TASK_STATUSES

from .plan import check_plan_item


class TaskStatus(str, Enum):
    DRAFT = "draft"
    APPLIED = "applied"
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


TASK_STATUS_LABELS = TASK_STATUSES


@dataclass(frozen=True)
class TaskTransition:
    action: str
    sources: frozenset
    target: TaskStatus
    by: str  # "institution" or "regulator"
    label: str
    needs_reason: bool = False


TRANSITIONS = {t.action: t for t in (
    TaskTransition("apply", frozenset({TaskStatus.DRAFT, TaskStatus.RETURNED}), TaskStatus.APPLIED,
                   "institution", "提交申请"),
    TaskTransition("approve", frozenset({TaskStatus.APPLIED}), TaskStatus.IN_PROGRESS, "regulator", "审核通过"),
    TaskTransition("return", frozenset({TaskStatus.APPLIED}), TaskStatus.RETURNED, "regulator", "退回",
                   needs_reason=True),
    TaskTransition("finish", frozenset({TaskStatus.IN_PROGRESS}), TaskStatus.FINISHED, "institution", "完结"),
)}

EDITABLE = {TaskStatus.DRAFT, TaskStatus.RETURNED}


def next_status(current, action, party, reason=None):
    t = TRANSITIONS.get(action)
    if t is None:
        raise ValidationFailed(f"未知的任务操作：{action}", field="action")
    if t.by != party:
        raise Forbidden(f"“{t.label}”只能由{'运维机构' if t.by == 'institution' else '监管方'}操作")
    if TaskStatus(current) not in t.sources:
        raise InvalidTransition(f"任务当前状态“{TASK_STATUS_LABELS[current]}”不能{t.label}", field="status")
    if t.needs_reason and not (reason or "").strip():
        raise ValidationFailed("退回必须填写原因", field="reason")
    return t.target


def staff_problem(staff, today: date):
    """Only the institution's filed field staff with a valid competence certificate."""
    if staff is None:
        return "不是本机构备案人员"
    if staff.get("resigned"):
        return f"{staff['name']}已离职"
    if staff.get("technical_role") != "om_staff":
        return f"{staff['name']}不是运维人员"
    until = (staff.get("certificate") or {}).get("valid_until")
    if not until or date.fromisoformat(until) < today:
        return f"{staff['name']}的运维能力评定证书已过期或未填写"
    return None


def binding_problems(task, *, institution, enterprise, outlets, devices, contract, today, overrides=None):
    """Everything that makes a task's bindings invalid, as (field, message), first one first.
    outlets/devices: the enterprise's registered ones, by id."""
    problems = []
    if institution.get("self_operating"):
        if task.get("contract_id"):
            problems.append(("contract_id", "自运维排污单位的任务不绑定合同"))
        if institution.get("enterprise_id") != enterprise["id"]:
            problems.append(("enterprise_id", "自运维排污单位只能为本单位建立运维任务"))
    else:
        if contract is None:
            problems.append(("contract_id", "运维任务必须绑定已提交的合同"))
        elif contract["status"] != "submitted":
            problems.append(("contract_id", "合同尚未提交"))
        elif contract["nature"] != "om":
            problems.append(("contract_id", "所选合同不是运维合同"))
        elif contract["enterprise_id"] != enterprise["id"] or contract["institution_id"] != institution["id"]:
            problems.append(("contract_id", "合同的甲乙双方与任务不一致"))
        elif not (contract["start"] <= task["start"].isoformat() and task["end"].isoformat() <= contract["end"]):
            problems.append(("end", "任务期限须在合同履约期限内"))
    if task["end"] < task["start"]:
        problems.append(("end", "结束日期不能早于开始日期"))
    for i, outlet_id in enumerate(task["outlet_ids"]):
        if outlet_id not in outlets:
            problems.append((f"outlet_ids[{i}]", "点位不是该排污单位登记的排口"))
    staff_by_id = {s["id"]: s for s in institution.get("staff", [])}
    for i, staff_id in enumerate(task["staff_ids"]):
        problem = staff_problem(staff_by_id.get(staff_id), today)
        if problem:
            problems.append((f"staff_ids[{i}]", problem))
    for i, device_id in enumerate(task["device_ids"]):
        device = devices.get(device_id)
        if device is None or device["outlet_id"] not in task["outlet_ids"]:
            problems.append((f"device_ids[{i}]", "设备未登记在本任务的运维点位"))
    chosen = {o: outlets[o] for o in task["outlet_ids"] if o in outlets}
    for i, item in enumerate(task["plan"]):
        for p in check_plan_item(item, chosen.get(item["outlet_id"]), i, overrides):
            problems.append((p.field, p.message))
    return problems
