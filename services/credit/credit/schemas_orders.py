"""Payloads of rectification orders and inspections, validated at the credit service's edge."""
from marshmallow import ValidationError, fields, validate, validates_schema

from emss_common.paging import KeysetQuerySchema
from emss_common.schema import StrictSchema, one_of, text
from emss_common.vocabulary import INSPECTION_KINDS, INSPECTION_RESULTS, ORDER_STATUSES

from .supervision.inspections import COMPARISON, ONSITE, SUBJECT_KINDS
from .supervision.orders import ADDRESSEE_KINDS

ID = fields.String(validate=validate.Length(min=1, max=64, error="长度应在1到64之间"))
MAX_FILES = 10


def ids(max_items):
    return fields.List(fields.String(validate=validate.Length(min=1, max=64, error="长度应在1到64之间")),
                       load_default=list, validate=validate.Length(max=max_items, error=f"最多{max_items}项"))


def uploads():
    """Files travel as {"name", "content_base64"}; their content is checked by the use case."""
    return fields.List(fields.Dict(), load_default=list,
                       validate=validate.Length(max=MAX_FILES, error=f"最多{MAX_FILES}个文件"))


class AddresseeSchema(StrictSchema):
    kind = one_of(ADDRESSEE_KINDS)
    id = fields.String(required=True, validate=validate.Length(min=1, max=64, error="长度应在1到64之间"))


class OrderItemSchema(StrictSchema):
    title = text(max_len=100)
    requirement = text(max_len=1000)            # 整改要求
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
    district = text(required=False, max_len=20)   # a city regulator's order with no source naming one
    note = text(required=False, max_len=1000)


class ItemAnswerSchema(StrictSchema):
    item_id = fields.String(required=True, validate=validate.Length(min=1, max=64, error="长度应在1到64之间"))
    text = text(max_len=2000)                     # 整改情况
    files = uploads()
    record_ids = ids(20)                          # 整改后的新运维记录


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
    reference_value = fields.Float(required=True, allow_nan=False)   # 监管部门比对监测值
    monitor_value = fields.Float(required=True, allow_nan=False)     # 自动监测同时段读数
    measured_at = fields.AwareDateTime(required=True, default_timezone=None)
    velocity = fields.Float(load_default=None, allow_none=True, allow_nan=False,
                            validate=validate.Range(min=0, min_inclusive=False, max=60, error="流速应在0到60 m/s之间"))


class InspectionSchema(StrictSchema):
    kind = one_of(INSPECTION_KINDS)
    subject_kind = one_of(SUBJECT_KINDS)
    institution_id = text(required=False, max_len=64)   # the institution inspected, or the outlet's O&M institution
    outlet_id = text(required=False, max_len=64)
    district = text(required=False, max_len=20)          # a city regulator's inspection of an institution
    inspected_on = fields.Date(required=True)
    inspectors = fields.List(text(max_len=50), required=True,
                             validate=validate.Length(min=1, max=10, error="检查人员应为1到10人"))
    items = fields.List(fields.Nested(CheckedItemSchema), load_default=list,
                        validate=validate.Length(max=100, error="检查项最多100项"))
    factors = fields.List(fields.Nested(FactorReadingSchema), load_default=list,
                          validate=validate.Length(max=20, error="比对因子最多20项"))
    findings = text(required=False, max_len=4000)       # 检查发现（文字）
    photos = uploads()
    warning_ids = ids(50)

    @validates_schema
    def _shape(self, data, **kwargs):
        if data["subject_kind"] == "outlet" and not data.get("outlet_id"):
            raise ValidationError("请选择排口", field_name="outlet_id")
        if not data.get("institution_id") and (data["subject_kind"] == "institution" or data["kind"] == COMPARISON):
            raise ValidationError("请选择运维机构", field_name="institution_id")
        if data["kind"] == COMPARISON:
            if data["subject_kind"] != "outlet":
                raise ValidationError("比对抽测的对象应为排口", field_name="subject_kind")
            if not data["factors"]:
                raise ValidationError("请填写至少一个因子的比对结果", field_name="factors")
            codes = [f["factor_code"] for f in data["factors"]]
            if len(set(codes)) != len(codes):
                raise ValidationError("同一因子只能填写一次", field_name="factors")
        if data["kind"] == ONSITE:
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
