"""Contracts (合同管理): drafted and submitted by the institution; once submitted they change only
through a reviewed change request (信息变更申请), and every version is kept (查看留痕)."""
from enum import Enum

from emss_common.errors import InvalidTransition, ValidationFailed
from emss_common.vocabulary import CHANGE_STATUSES, CONTRACT_NATURES, CONTRACT_STATUSES

NATURES = CONTRACT_NATURES


class ContractStatus(str, Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


CONTRACT_STATUS_LABELS = CONTRACT_STATUSES
CHANGE_STATUS_LABELS = CHANGE_STATUSES


def check_terms(terms):
    """Rules across fields that a schema cannot see alone."""
    if terms["end"] < terms["start"]:
        raise ValidationFailed("履约结束日期不能早于开始日期", field="end")


def ensure_editable(contract):
    if contract["status"] != ContractStatus.DRAFT.value:
        raise InvalidTransition("合同已提交，只能通过信息变更申请修改", field="status")


def ensure_submittable(contract):
    if contract["status"] != ContractStatus.DRAFT.value:
        raise InvalidTransition("合同已提交", field="status")


def ensure_changeable(contract):
    if contract["status"] != ContractStatus.SUBMITTED.value:
        raise InvalidTransition("草稿合同可直接修改，无需变更申请", field="status")


def diff(old, new):
    keys = sorted(set(old) | set(new))
    return [{"field": k, "old": old.get(k), "new": new.get(k)} for k in keys if old.get(k) != new.get(k)]
