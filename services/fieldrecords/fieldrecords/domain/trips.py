"""Sampling trips (采样行程, seed 002 §3.2.4): 进场签到 → 现场采样 (samples) → 采样工况 → 离场签到.
After departure the trip goes to the enterprise for confirmation, except for enterprises that
monitor themselves (自主开展自行监测), whose trips are complete at departure."""
from enum import Enum

from emss_common.actor import FIELD_STAFF, Actor
from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from emss_common.vocabulary import PRODUCTION_STATUSES


class TripStatus(str, Enum):
    ON_SITE = "on_site"                    # 现场采样中
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # 待排污单位确认
    CONFIRMED = "confirmed"                # 排污单位已确认
    COMPLETED = "completed"                # 已离场（自主监测，无需确认）


STATUS_LABELS = {"on_site": "现场采样中", "awaiting_confirmation": "待排污单位确认",
                 "confirmed": "排污单位已确认", "completed": "已离场"}
PRODUCTION_LABELS = PRODUCTION_STATUSES  # 采样工况


def ensure_may_sample(actor: Actor, task: dict):
    if not actor.has(FIELD_STAFF) or actor.institution_id != task.get("institution_id"):
        raise Forbidden("只有本机构的采样人员可以开展现场采样")
    staff = ((task.get("plan") or {}).get("staff_ids")) or []
    if not actor.staff_id or actor.staff_id not in staff:
        raise Forbidden("您不在该采样任务的采样计划人员中")
    if task.get("stage") != "sampling":
        raise ValidationFailed("采样任务不在“现场采样”环节", field="sampling_task_id")


def ensure_on_site(trip):
    if trip["status"] != TripStatus.ON_SITE.value:
        raise InvalidTransition("本次采样行程已离场，不能再修改", field="status")


def after_departure(task):
    return TripStatus.COMPLETED if task.get("self_monitoring") else TripStatus.AWAITING_CONFIRMATION


def departure_problems(trip, work_photos):
    """What is still missing before the team may check out, as (field, message)."""
    out = []
    if not trip.get("samples"):
        out.append(("samples", "至少记录一个样品"))
    if not trip.get("conditions"):
        out.append(("conditions", "请填写采样工况"))
    if not work_photos:
        out.append(("photos", "请上传面部清晰的工作照片"))
    return out


def check_sample(task, sample, arrived_at, now):
    points = ((task.get("scheme") or {}).get("points")) or []
    i = sample["point_index"]
    if i >= len(points):
        raise ValidationFailed("监测点位不在监测方案中", field="point_index")
    items = {it["factor"] for it in points[i].get("items") or []}
    if sample["item"] not in items:
        raise ValidationFailed("监测项目不在该点位的监测方案中", field="item")
    if not arrived_at <= sample["taken_at"] <= now:
        raise ValidationFailed("采样时间应在进场签到之后、当前时间之前", field="taken_at")


def receipt_problems(receipt, max_hours, now):
    """来样检查: integrity, timeliness, storage and labels; each failed check is recorded. Times
    are what the lab states, so they may not lie in the future."""
    if receipt["received_at"] > now:
        raise ValidationFailed("接收时间不能晚于当前时间", field="received_at")
    out = []
    if not receipt["intact"]:
        out.append("样品不完整")
    hours = (receipt["received_at"] - receipt["collected_at"]).total_seconds() / 3600
    if hours < 0:
        raise ValidationFailed("接收时间不能早于采集时间", field="received_at")
    if hours > max_hours:
        out.append(f"采集后{hours:.1f}小时才送达，超过{max_hours:g}小时")
    if not receipt["storage_ok"]:
        out.append("保存条件不符合要求")
    if not receipt["label_ok"]:
        out.append("样品标识信息不清")
    return out, round(hours, 2)
