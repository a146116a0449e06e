"""A warning (预警): a finding put before the regulator, and what is done about it.

    open 新预警 ──acknowledge 确认──▶ acknowledged 已确认
      │  │  │                          │
      │  │  └──────────── dismiss 排除 (reason) ─────────────▶ dismissed 已排除
      │  └─────────────── resolve 自动消除 (a later fact) ────▶ resolved 已自动消除
      └───── order 下整改单 ──▶ ordered 已下整改单 ──rectify 整改销号──▶ rectified 已整改销号
             suspect 标记疑似违法 (from open, acknowledged, ordered) ──▶ suspected 已移交疑似违法
                                  suspected ──rectify──▶ rectified;  suspected ──dismiss──▶ dismissed

Rules:
- dismissed, resolved and rectified are final: nothing happens to them afterwards, and a finding
  raised again does not re-open its warning.
- Dismissing needs a reason (why the regulator judged the finding wrong or harmless).
- `order` carries the rectification order it was turned into; the orders use case makes it.
- resolve and rectify are the system's steps (a later fact; an accepted order), never a person's.
- Every step is appended to the warning's trail with who, when, the reason and the order: the
  trail is never rewritten.
"""
from dataclasses import dataclass
from enum import Enum

from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from emss_common.vocabulary import WARNING_ACTIONS, WARNING_STATUSES


class Status(str, Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ORDERED = "ordered"
    SUSPECTED = "suspected"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"
    RECTIFIED = "rectified"


STATUS_LABELS = WARNING_STATUSES
ACTION_LABELS = WARNING_ACTIONS
FINAL = frozenset({Status.DISMISSED, Status.RESOLVED, Status.RECTIFIED})
# Still before the regulator: the warnings a list of "to do" shows.
ACTIVE = frozenset({Status.OPEN, Status.ACKNOWLEDGED})


@dataclass(frozen=True)
class Action:
    code: str
    sources: frozenset
    target: Status
    system: bool = False            # only the system takes it (never a person's choice)
    needs_reason: bool = False
    needs_order: bool = False

    @property
    def label(self):
        return ACTION_LABELS[self.code]


ACKNOWLEDGE = Action("acknowledge", frozenset({Status.OPEN}), Status.ACKNOWLEDGED)
DISMISS = Action("dismiss", frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.SUSPECTED}), Status.DISMISSED,
                 needs_reason=True)
ORDER = Action("order", frozenset({Status.OPEN, Status.ACKNOWLEDGED}), Status.ORDERED, needs_order=True)
SUSPECT = Action("suspect", frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.ORDERED}), Status.SUSPECTED)
RESOLVE = Action("resolve", frozenset({Status.OPEN, Status.ACKNOWLEDGED}), Status.RESOLVED, system=True)
RECTIFY = Action("rectify", frozenset({Status.ORDERED, Status.SUSPECTED}), Status.RECTIFIED, system=True)

ACTIONS = {a.code: a for a in (ACKNOWLEDGE, DISMISS, ORDER, SUSPECT, RESOLVE, RECTIFY)}
# What a regulator does on the warning's page; `order` goes through the rectification order.
REGULATOR_ACTIONS = ("acknowledge", "dismiss", "suspect")


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    reason: str | None = None
    order_id: str | None = None

    def trail_entry(self, by, at):
        """The trail's record of this step (by: who, as events record an actor; at: when)."""
        return {"action": self.action, "from": self.source, "to": self.target, "by": by, "at": at,
                "reason": self.reason, "order_id": self.order_id}


def action(code):
    try:
        return ACTIONS[code]
    except KeyError:
        raise ValidationFailed(f"未知的预警处理方式：{code}", field="action") from None


def step(status, code, reason=None, order_id=None, by_system=False):
    """The transition `code` makes from `status`, or the error saying why it may not."""
    act = action(code)
    if act.system and not by_system:
        raise Forbidden(f"“{act.label}”由系统根据后续事实完成，不能手工操作")
    current = Status(status)
    if current not in act.sources:
        raise InvalidTransition(f"预警当前状态为“{STATUS_LABELS[current.value]}”，不能{act.label}", field="status")
    reason = (reason or "").strip() or None
    if act.needs_reason and not reason:
        raise ValidationFailed(f"{act.label}必须填写原因", field="reason")
    if act.needs_order and not order_id:
        raise ValidationFailed(f"{act.label}必须关联整改单", field="order_id")
    return Transition(act.code, current.value, act.target.value, reason, order_id or None)


def allowed(status, by_system=False):
    """The actions that may be taken on a warning in `status` (by a person unless by_system)."""
    current = Status(status)
    return [a.code for a in ACTIONS.values() if current in a.sources and (by_system or not a.system)]


def is_final(status):
    return Status(status) in FINAL
