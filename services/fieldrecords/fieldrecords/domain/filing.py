"""Who may file which record, at which outlet, with which devices (seed 001 §2.3).

Everything is checked against this service's own copy of the task (from tasks events): the filer
must be field staff (运维人员) named on a task in progress, filing within its period, at one of its
outlets, with devices registered at that outlet and named in the task.
"""
from dataclasses import dataclass
from datetime import date
from enum import Enum

from emss_common.actor import FIELD_STAFF, Actor
from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from emss_common.forms import form


class RecordStatus(str, Enum):
    DRAFT = "draft"          # 草稿: checked in, being filled
    SUBMITTED = "submitted"  # 已提交: checked out and uploaded; goes to the enterprise


STATUS_LABELS = {"draft": "草稿", "submitted": "已提交"}


@dataclass(frozen=True)
class FilingRight:
    """May this actor file a record of this form at this outlet of this task today?"""
    actor: Actor
    task: dict
    today: date

    def check(self, outlet_id, form_kind, outlet):
        task = self.task
        if not self.actor.has(FIELD_STAFF) or self.actor.institution_id != task.get("institution_id"):
            raise Forbidden("只有本任务机构的运维人员可以填报运维记录")
        if not self.actor.staff_id or self.actor.staff_id not in (task.get("staff_ids") or []):
            raise Forbidden("您不是该运维任务的运维人员，不能填报")
        if task.get("status") != "in_progress":
            raise ValidationFailed("该运维任务不在进行中，不能填报", field="task_id")
        start, end = date.fromisoformat(str(task["start"])[:10]), date.fromisoformat(str(task["end"])[:10])
        if not start <= self.today <= end:
            raise ValidationFailed(f"今天不在任务执行期（{start}至{end}）内", field="task_id")
        if outlet_id not in (task.get("outlet_ids") or []) or outlet is None:
            raise ValidationFailed("该排口不属于此运维任务", field="outlet_id")
        spec = form(form_kind)
        if spec is None:
            raise ValidationFailed("未知的运维内容（表单）", field="form_kind")
        if spec["outlet_kind"] != outlet.get("kind"):
            raise ValidationFailed(f"{spec['name']}不适用于该类型排口", field="form_kind")


def check_devices(device_ids, task, outlet_id, devices, field="content.blocks"):
    """Devices only from those registered at that outlet and named in the task (seed 001: 由排污企业
    完善各排口的自动监控设施信息后，才能选择设备)."""
    named = set(task.get("device_ids") or [])
    for i, device_id in enumerate(device_ids):
        device = devices.get(device_id)
        if device is None or device.get("outlet_id") != outlet_id:
            raise ValidationFailed("该设备不是此排口登记的监测设备", field=f"{field}[{i}].device_id")
        if device_id not in named:
            raise ValidationFailed("该设备不在此运维任务的运维设备中", field=f"{field}[{i}].device_id")


def ensure_draft(record):
    if record["status"] != RecordStatus.DRAFT.value:
        raise InvalidTransition("记录已提交，不能再修改", field="status")


def ensure_own(actor: Actor, record):
    """Only the filer continues a draft: another colleague's signature must not be put on it."""
    if record["filer"]["account_id"] != actor.account_id:
        raise Forbidden("只能继续填报自己的记录")
