"""The gateway's own shapes of the credit routes' input: supervision (warnings, overview, sweeps),
rectification orders and inspections. The credit service validates again at its edge with its own
schemas; services/gateway/tests/test_schemas_agree.py keeps the two in agreement."""
from marshmallow import ValidationError, fields, validate, validates_schema

from emss_common.actor import DISTRICTS
from emss_common.paging import KeysetQuerySchema
from emss_common.schema import StrictSchema, one_of, text
from emss_common.vocabulary import (INSPECTION_KINDS, INSPECTION_RESULTS, ORDER_STATUSES, SEVERITIES,
                                    WARNING_ACTIONS, WARNING_CATEGORIES, WARNING_STATUSES)

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
RULE_CODE = dict(validate=validate.Regexp(r"^[A-Z][A-Z0-9_]{1,63}$", error="规则代码格式不正确"))
# What a regulator does on a warning's page; `order` comes with the order issued from it, and
# `resolve` / `rectify` are the system's (a later fact, an accepted order).
REGULATOR_ACTIONS = ("acknowledge", "dismiss", "suspect")
ADDRESSEE_KINDS = ("institution", "enterprise")
SUBJECT_KINDS = ("institution", "outlet")
MAX_FILES = 10
MAX_SWEEP_DAYS = 366 * 3


def _size():
    return fields.Integer(load_default=50, validate=validate.Range(min=1, max=200, error="每页条数应在1到200之间"))


# ----- supervision -----

class WarningQuerySchema(KeysetQuerySchema):
    size = _size()
    status = one_of(WARNING_STATUSES, required=False)
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
    action = one_of(REGULATOR_ACTIONS)
    reason = text(required=False, max_len=500)

    @validates_schema
    def _reason(self, data, **kwargs):
        if data.get("action") == "dismiss" and not (data.get("reason") or "").strip():
            raise ValidationError(f"{WARNING_ACTIONS['dismiss']}必须填写原因", field_name="reason")


class OverviewQuerySchema(StrictSchema):
    month = fields.String(load_default=None, allow_none=True,
                          validate=validate.Regexp(MONTH, error="月份格式应为 YYYY-MM"))


class SweepSchema(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="end")
        if (data["end"] - data["start"]).days > MAX_SWEEP_DAYS:
            raise ValidationError(f"一次排查的期间不能超过{MAX_SWEEP_DAYS}天", field_name="end")


# ----- rectification orders (整改单) -----

def ids(max_items):
    return fields.List(fields.String(validate=validate.Length(min=1, max=64, error="长度应在1到64之间")),
                       load_default=list, validate=validate.Length(max=max_items, error=f"最多{max_items}项"))


def uploads():
    """Files travel as {"name", "content_base64"}; the service checks their content."""
    return fields.List(fields.Dict(), load_default=list,
                       validate=validate.Length(max=MAX_FILES, error=f"最多{MAX_FILES}个文件"))


class AddresseeSchema(StrictSchema):
    kind = one_of(ADDRESSEE_KINDS)
    id = fields.String(required=True, validate=validate.Length(min=1, max=64, error="长度应在1到64之间"))


class OrderItemSchema(StrictSchema):
    title = text(max_len=100)
    requirement = text(max_len=1000)
    warning_ids = ids(50)
    inspection_ids = ids(20)

    @validates_schema
    def _tied(self, data, **kwargs):
        if not data["warning_ids"] and not data["inspection_ids"]:
            raise ValidationError("每个整改项应关联至少一条预警或现场检查", field_name="warning_ids")


class IssueOrderSchema(StrictSchema):
    addressee = fields.Nested(AddresseeSchema, required=True)
    title = text(max_len=100)
    items = fields.List(fields.Nested(OrderItemSchema), required=True,
                        validate=validate.Length(min=1, max=50, error="整改项应为1到50项"))
    working_days = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=120, error="整改期限应为1到120个工作日"))
    district = text(required=False, max_len=20)
    note = text(required=False, max_len=1000)


class ItemAnswerSchema(StrictSchema):
    item_id = fields.String(required=True, validate=validate.Length(min=1, max=64, error="长度应在1到64之间"))
    text = text(max_len=2000)
    files = uploads()
    record_ids = ids(20)


class AnswerOrderSchema(StrictSchema):
    answers = fields.List(fields.Nested(ItemAnswerSchema), required=True,
                          validate=validate.Length(min=1, max=50, error="回复应为1到50项"))


class ReviewOrderSchema(StrictSchema):
    decision = one_of(("accept", "return"))
    reason = text(required=False, max_len=1000)

    @validates_schema
    def _reason(self, data, **kwargs):
        if data["decision"] == "return" and not (data.get("reason") or "").strip():
            raise ValidationError("退回必须填写原因", field_name="reason")


class OrderQuerySchema(KeysetQuerySchema):
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    status = one_of(ORDER_STATUSES, required=False)
    addressee_kind = one_of(ADDRESSEE_KINDS, required=False)
    institution_id = text(required=False, max_len=64)
    enterprise_id = text(required=False, max_len=64)
    district = text(required=False, max_len=20)
    overdue = fields.Boolean(load_default=None, allow_none=True)
    warning_id = text(required=False, max_len=64)


# ----- on-site inspections and comparison spot tests (考核管理) -----

class CheckedItemSchema(StrictSchema):
    key = fields.String(load_default=None, allow_none=True,
                        validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,40}$", error="应为1到40个字母、数字或 _.-"))
    label = text(max_len=200)
    result = one_of(INSPECTION_RESULTS)
    note = text(required=False, max_len=1000)

    @validates_schema
    def _note(self, data, **kwargs):
        if data["result"] == "fail" and not (data.get("note") or "").strip():
            raise ValidationError("不合格项须说明情况", field_name="note")


class FactorReadingSchema(StrictSchema):
    factor_code = fields.String(required=True, validate=validate.Length(min=1, max=16, error="长度应在1到16之间"))
    reference_value = fields.Float(required=True, allow_nan=False)
    monitor_value = fields.Float(required=True, allow_nan=False)
    measured_at = fields.AwareDateTime(required=True, default_timezone=None)
    velocity = fields.Float(load_default=None, allow_none=True, allow_nan=False,
                            validate=validate.Range(min=0, min_inclusive=False, max=60, error="流速应在0到60 m/s之间"))


class InspectionSchema(StrictSchema):
    kind = one_of(INSPECTION_KINDS)
    subject_kind = one_of(SUBJECT_KINDS)
    institution_id = text(required=False, max_len=64)
    outlet_id = text(required=False, max_len=64)
    district = text(required=False, max_len=20)
    inspected_on = fields.Date(required=True)
    inspectors = fields.List(text(max_len=50), required=True,
                             validate=validate.Length(min=1, max=10, error="检查人员应为1到10人"))
    items = fields.List(fields.Nested(CheckedItemSchema), load_default=list,
                        validate=validate.Length(max=100, error="检查项最多100项"))
    factors = fields.List(fields.Nested(FactorReadingSchema), load_default=list,
                          validate=validate.Length(max=20, error="比对因子最多20项"))
    findings = text(required=False, max_len=4000)
    photos = uploads()
    warning_ids = ids(50)

    @validates_schema
    def _shape(self, data, **kwargs):
        if data["subject_kind"] == "outlet" and not data.get("outlet_id"):
            raise ValidationError("请选择排口", field_name="outlet_id")
        if not data.get("institution_id") and (data["subject_kind"] == "institution" or data["kind"] == "comparison"):
            raise ValidationError("请选择运维机构", field_name="institution_id")
        if data["kind"] == "comparison":
            if data["subject_kind"] != "outlet":
                raise ValidationError("比对抽测的对象应为排口", field_name="subject_kind")
            if not data["factors"]:
                raise ValidationError("请填写至少一个因子的比对结果", field_name="factors")
            codes = [f["factor_code"] for f in data["factors"]]
            if len(set(codes)) != len(codes):
                raise ValidationError("同一因子只能填写一次", field_name="factors")
        if data["kind"] == "onsite":
            if not data["items"]:
                raise ValidationError("请填写至少一项检查内容", field_name="items")
            if data["factors"]:
                raise ValidationError("比对结果请按比对抽测登记", field_name="factors")
        keys = [i["key"] for i in data["items"] if i.get("key")]
        if len(set(keys)) != len(keys):
            raise ValidationError("检查项编号重复", field_name="items")


class InspectionQuerySchema(KeysetQuerySchema):
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    kind = one_of(INSPECTION_KINDS, required=False)
    institution_id = text(required=False, max_len=64)
    outlet_id = text(required=False, max_len=64)
    district = text(required=False, max_len=20)
    failed = fields.Boolean(load_default=None, allow_none=True)
