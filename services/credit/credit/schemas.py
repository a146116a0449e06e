"""The credit service's payloads, validated at its edge (Chinese messages, field paths)."""
import re

from marshmallow import ValidationError, fields, validate, validates_schema

from emss_common.actor import DISTRICTS
from emss_common.paging import KeysetQuerySchema
from emss_common.schema import StrictSchema, one_of, text
from emss_common.vocabulary import SEVERITIES, WARNING_CATEGORIES

from .supervision.warnings import ACTIONS, REGULATOR_ACTIONS, STATUS_LABELS

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
RULE_CODE = dict(validate=validate.Regexp(r"^[A-Z][A-Z0-9_]{1,63}$", error="规则代码格式不正确"))


class WarningQuerySchema(KeysetQuerySchema):
    """预警列表: filters, and the days (Asia/Shanghai) it was raised between."""
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200, error="每页条数应在1到200之间"))
    status = one_of(STATUS_LABELS, required=False)
    rule = fields.String(load_default=None, allow_none=True, **RULE_CODE)
    category = one_of(WARNING_CATEGORIES, required=False)
    severity = one_of(SEVERITIES, required=False)
    district = one_of(DISTRICTS, required=False)
    institution_id = text(required=False, max_len=64)
    enterprise_id = text(required=False, max_len=64)
    outlet_id = text(required=False, max_len=64)
    date_from = fields.Date(data_key="from", load_default=None, allow_none=True)
    date_to = fields.Date(data_key="to", load_default=None, allow_none=True)

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="to")


class ActSchema(StrictSchema):
    """What a regulator does on a warning's page: 确认, 排除 (with a reason), 标记疑似违法."""
    action = one_of(REGULATOR_ACTIONS)
    reason = text(required=False, max_len=500)

    @validates_schema
    def _reason(self, data, **kwargs):
        act = ACTIONS.get(data.get("action"))
        if act is not None and act.needs_reason and not (data.get("reason") or "").strip():
            raise ValidationError(f"{act.label}必须填写原因", field_name="reason")


class OverviewQuerySchema(StrictSchema):
    """非现场监管概览: one month (YYYY-MM; this month by default)."""
    month = fields.String(load_default=None, allow_none=True,
                          validate=validate.Regexp(MONTH, error="月份格式应为 YYYY-MM"))
