"""The filing (备案) lifecycle of an institution as a small state machine.

draft 草稿 → first_submitted 待初审 → first_approved 初审通过 (二审信息填报) → second_submitted 待二审
→ second_approved 二审通过 → published 已公开; a regulator may return a submission for correction
(退回修改, reason required). Self-operating enterprises are filed at once: their basic filing skips
the first review. Only second_approved and published institutions may take O&M tasks.
"""
from dataclasses import dataclass
from enum import Enum

from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed

from .roles import INSTITUTION_ADMIN, REGULATOR


class FilingStatus(str, Enum):
    DRAFT = "draft"
    FIRST_SUBMITTED = "first_submitted"
    FIRST_RETURNED = "first_returned"
    FIRST_APPROVED = "first_approved"
    SECOND_SUBMITTED = "second_submitted"
    SECOND_RETURNED = "second_returned"
    SECOND_APPROVED = "second_approved"
    PUBLISHED = "published"


STATUS_LABELS = {
    FilingStatus.DRAFT: "草稿",
    FilingStatus.FIRST_SUBMITTED: "待初审",
    FilingStatus.FIRST_RETURNED: "初审退回",
    FilingStatus.FIRST_APPROVED: "初审通过",
    FilingStatus.SECOND_SUBMITTED: "待二审",
    FilingStatus.SECOND_RETURNED: "二审退回",
    FilingStatus.SECOND_APPROVED: "二审通过",
    FilingStatus.PUBLISHED: "已公开",
}

# Where the institution edits its own data directly; elsewhere it is locked or needs a change request.
BASIC_EDITABLE = {FilingStatus.DRAFT, FilingStatus.FIRST_RETURNED}
SECOND_STAGE_EDITABLE = {FilingStatus.DRAFT, FilingStatus.FIRST_RETURNED,
                         FilingStatus.FIRST_APPROVED, FilingStatus.SECOND_RETURNED}
APPROVED = {FilingStatus.SECOND_APPROVED, FilingStatus.PUBLISHED}
UNDER_REVIEW = {FilingStatus.FIRST_SUBMITTED, FilingStatus.SECOND_SUBMITTED}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: FilingStatus
    by_role: str
    label: str
    needs_reason: bool = False


TRANSITIONS = {t.action: t for t in (
    Transition("submit", frozenset({FilingStatus.DRAFT, FilingStatus.FIRST_RETURNED}),
               FilingStatus.FIRST_SUBMITTED, INSTITUTION_ADMIN, "提交备案"),
    Transition("approve_first", frozenset({FilingStatus.FIRST_SUBMITTED}),
               FilingStatus.FIRST_APPROVED, REGULATOR, "初审通过"),
    Transition("return_first", frozenset({FilingStatus.FIRST_SUBMITTED}),
               FilingStatus.FIRST_RETURNED, REGULATOR, "初审退回", needs_reason=True),
    Transition("submit_second", frozenset({FilingStatus.FIRST_APPROVED, FilingStatus.SECOND_RETURNED}),
               FilingStatus.SECOND_SUBMITTED, INSTITUTION_ADMIN, "提交二审"),
    Transition("approve_second", frozenset({FilingStatus.SECOND_SUBMITTED}),
               FilingStatus.SECOND_APPROVED, REGULATOR, "二审通过"),
    Transition("return_second", frozenset({FilingStatus.SECOND_SUBMITTED}),
               FilingStatus.SECOND_RETURNED, REGULATOR, "二审退回", needs_reason=True),
    Transition("publish", frozenset({FilingStatus.SECOND_APPROVED}),
               FilingStatus.PUBLISHED, REGULATOR, "公开"),
)}


def next_status(current, action, actor, reason=None, self_operating=False):
    """The status after `action`, or a typed error saying why it is not allowed."""
    current = FilingStatus(current)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationFailed(f"未知的备案操作：{action}", field="action")
    if not actor.has(transition.by_role):
        raise Forbidden(f"“{transition.label}”只能由{_role_label(transition.by_role)}操作")
    if current not in transition.sources:
        raise InvalidTransition(
            f"当前状态“{STATUS_LABELS[current]}”不能执行“{transition.label}”", field="status")
    if transition.needs_reason and not (reason or "").strip():
        raise ValidationFailed("退回必须填写原因", field="reason")
    if action == "submit" and self_operating:
        # 自运维排污企业注册：备案当场办结, straight to the second-stage information.
        return FilingStatus.FIRST_APPROVED
    return transition.target


def allowed_actions(current, actor):
    current = FilingStatus(current)
    return [t.action for t in TRANSITIONS.values()
            if current in t.sources and actor.has(t.by_role)]


def may_take_tasks(status) -> bool:
    return FilingStatus(status) in APPROVED


def _role_label(role):
    from .roles import ROLE_LABELS
    return ROLE_LABELS[role]
