"""Self-monitoring sampling tasks (自行监测, seed 002): six stages, each moving forward only when
its inputs are complete. 委托任务申请 → 方案编制 → 采样计划 → 现场采样 → 采样管理 → 数据报告."""
from enum import Enum

from emss_common.errors import InvalidTransition, ValidationFailed
from emss_common.vocabulary import SAMPLING_STAGES


class Stage(str, Enum):
    COMMISSION = "commission"
    SCHEME = "scheme"
    PLAN = "plan"
    SAMPLING = "sampling"
    MANAGEMENT = "management"
    REPORT = "report"
    FINISHED = "finished"


STAGE_LABELS = SAMPLING_STAGES
ORDER = list(Stage)


def next_stage(stage):
    i = ORDER.index(Stage(stage))
    if i + 1 >= len(ORDER):
        raise InvalidTransition("采样任务已完结", field="stage")
    return ORDER[i + 1]


def missing_inputs(task):
    """What the current stage still lacks before it may move forward, as (field, message)."""
    stage = Stage(task["stage"])
    if stage == Stage.COMMISSION:
        out = []
        if not task.get("self_monitoring") and not task.get("contract_id"):
            out.append(("contract_id", "委托监测必须绑定合同"))
        return out
    if stage == Stage.SCHEME:
        points = (task.get("scheme") or {}).get("points") or []
        if not points:
            return [("scheme.points", "方案至少包含一个监测点位")]
        return [(f"scheme.points[{i}].items", "每个点位至少包含一个监测项目")
                for i, p in enumerate(points) if not p.get("items")]
    if stage == Stage.PLAN:
        plan = task.get("plan") or {}
        out = []
        for key, label in (("dates", "采样日期"), ("staff_ids", "采样人员"), ("equipment_ids", "采样设备")):
            if not plan.get(key):
                out.append((f"plan.{key}", f"采样计划缺少{label}"))
        return out
    if stage == Stage.SAMPLING:
        if not [t for t in task.get("trips", []) if t.get("departed")]:
            return [("trips", "尚无已离场的现场采样记录")]
        return []
    if stage == Stage.MANAGEMENT:
        if task.get("self_monitoring"):
            return []
        unconfirmed = [t["id"] for t in task.get("trips", []) if not t.get("confirmed")]
        if unconfirmed:
            return [("trips", f"还有{len(unconfirmed)}次现场采样未经排污单位确认")]
        return []
    if stage == Stage.REPORT:
        if not task.get("report_file_id"):
            return [("report", "尚未上传监测报告")]
        return []
    return [("stage", "采样任务已完结")]


def advance(task):
    """The next stage, or ValidationFailed naming the first missing input."""
    missing = missing_inputs(task)
    if missing:
        field, message = missing[0]
        raise ValidationFailed(message, field=field, details=[{"field": f, "message": m} for f, m in missing])
    return next_stage(task["stage"])


def ensure_stage(task, *stages):
    if Stage(task["stage"]) not in stages:
        names = "、".join(STAGE_LABELS[s.value] for s in stages)
        raise InvalidTransition(f"当前阶段为“{STAGE_LABELS[task['stage']]}”，此操作只在“{names}”阶段可用",
                                field="stage")


def new_point_allowed(registered_outlets, kind):
    """A point not in the enterprise's list may be added only when the list has none of its kind."""
    return not any(o["kind"] == kind for o in registered_outlets)
