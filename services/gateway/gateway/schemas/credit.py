"""The gateway's own shapes of the supervision routes' input (the credit service validates again at
its edge with its own schemas). Labels and choices come from the common vocabulary."""
from marshmallow import ValidationError, fields, validate, validates_schema

from emss_common.schema import StrictSchema, one_of, text
from emss_common.vocabulary import WARNING_STATUSES

ID = dict(validate=validate.Length(min=1, max=64))
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM")
MAX_PER_PAGE = 100
# What a person may do to a warning by hand; `order` comes with the order issued from it, and
# `resolve` / `rectify` are the system's (a later fact, an accepted order).
MANUAL_WARNING_ACTIONS = ("acknowledge", "dismiss", "suspect")


def per_page(default=20):
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=MAX_PER_PAGE,
                                                                       error=f"每页条数应在1到{MAX_PER_PAGE}之间"))


def page_number():
    return fields.Integer(load_default=1, validate=validate.Range(min=1, error="页码应大于0"))


class WarningQuerySchema(StrictSchema):
    status = one_of(WARNING_STATUSES, required=False)
    rule = text(required=False, max_len=64)
    district = text(required=False, max_len=50)
    institution_id = text(required=False, max_len=64)
    enterprise_id = text(required=False, max_len=64)
    from_ = fields.Date(data_key="from", load_default=None, allow_none=True)
    to = fields.Date(load_default=None, allow_none=True)
    page = page_number()
    per_page = per_page()

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="to")


class WarningActionSchema(StrictSchema):
    action = one_of(MANUAL_WARNING_ACTIONS)
    reason = text(required=False, max_len=500)

    @validates_schema
    def _reason(self, data, **kwargs):
        if data["action"] == "dismiss" and not (data.get("reason") or "").strip():
            raise ValidationError("排除预警必须填写原因", field_name="reason")


class OverviewQuerySchema(StrictSchema):
    month = fields.String(load_default=None, allow_none=True, validate=MONTH)


class SweepSchema(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True, metadata={"description": "不早于 start"})

    @validates_schema
    def _range(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="end")
