"""The tasks service's payloads, validated at its edge."""
from marshmallow import fields, validate, validates_schema, ValidationError

from emss_common.forms import forms
from emss_common.schema import StrictSchema, text, one_of

from emss_common.vocabulary import (CHANGE_STATUSES as CHANGE_STATUS_LABELS, CONTRACT_NATURES as NATURES,
                                    FREQUENCY_KINDS as KINDS, REPORT_KINDS)

ID = dict(validate=validate.Length(min=1, max=64))


class ContractSchema(StrictSchema):
    title = text(max_len=200)
    nature = one_of(NATURES)
    enterprise_id = fields.String(required=True, **ID)
    amount = fields.Decimal(required=True, places=2, validate=validate.Range(min=0, error="不能为负数"))
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    party_a_contact = text(required=False, max_len=50)
    party_b_contact = text(required=False, max_len=50)
    note = text(required=False, max_len=1000)


class ContractChangeSchema(StrictSchema):
    contract = fields.Nested(ContractSchema, required=True)
    reason = text(max_len=500)


class ContractQuerySchema(StrictSchema):
    enterprise_id = text(required=False, max_len=64)   # 甲方筛选
    institution_id = text(required=False, max_len=64)
    status = one_of(("draft", "submitted"), required=False)
    keyword = text(required=False, max_len=100)


class FrequencySchema(StrictSchema):
    kind = one_of(KINDS)
    n = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=366))

    @validates_schema
    def _n(self, data, **kwargs):
        if data["kind"] == "every_n_days" and not data.get("n"):
            raise ValidationError("每N天须填写N", field_name="n")


class PlanItemSchema(StrictSchema):
    id = text(required=False, max_len=64)
    title = text(required=False, max_len=100)
    outlet_id = fields.String(required=True, **ID)
    form_kind = one_of(forms())
    frequency = fields.Nested(FrequencySchema, required=True)


class TaskSchema(StrictSchema):
    name = text(max_len=200)
    enterprise_id = fields.String(required=True, **ID)
    contract_id = text(required=False, max_len=64)
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    outlet_ids = fields.List(fields.String(**ID), required=True,
                             validate=validate.Length(min=1, error="至少选择一个运维点位"))
    staff_ids = fields.List(fields.String(**ID), required=True,
                            validate=validate.Length(min=1, error="至少选择一名运维人员"))
    device_ids = fields.List(fields.String(**ID), required=True,
                             validate=validate.Length(min=1, error="至少选择一台运维设备"))
    plan = fields.List(fields.Nested(PlanItemSchema), required=True,
                       validate=validate.Length(min=1, error="运维计划不能为空"))
    description = text(required=False, max_len=1000)


class TaskChangeSchema(StrictSchema):
    task = fields.Nested(TaskSchema, required=True)
    reason = text(max_len=500)


class TransitionSchema(StrictSchema):
    action = fields.String(required=True)
    reason = text(required=False, max_len=500)


class TaskQuerySchema(StrictSchema):
    status = fields.String(load_default=None, allow_none=True)
    state = one_of(("in_progress", "finished", "overdue"), required=False)
    keyword = text(required=False, max_len=100)
    enterprise_id = text(required=False, max_len=64)


class MaintenanceQuerySchema(StrictSchema):
    view = one_of(("week", "month", "all", "overdue"), required=False, load_default="all")
    plan_item_id = text(required=False, max_len=64)
    start = fields.Date(load_default=None, allow_none=True)
    end = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="end")


class OccurrenceQuerySchema(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


# ---- sampling tasks ----

class CommissionSchema(StrictSchema):
    title = text(max_len=200)
    enterprise_id = fields.String(required=True, **ID)
    contract_id = text(required=False, max_len=64)
    description = text(required=False, max_len=1000)


class SchemeItemSchema(StrictSchema):
    factor = text(max_len=50)
    method = text(max_len=200)
    frequency = text(max_len=50)


class NewPointSchema(StrictSchema):
    name = text(max_len=100)
    kind = one_of(("wastewater", "flue_gas"))
    longitude = fields.Float(required=True, validate=validate.Range(min=73, max=136))
    latitude = fields.Float(required=True, validate=validate.Range(min=3, max=54))


class SchemePointSchema(StrictSchema):
    outlet_id = text(required=False, max_len=64)
    new_point = fields.Nested(NewPointSchema, load_default=None, allow_none=True)
    items = fields.List(fields.Nested(SchemeItemSchema), required=True,
                        validate=validate.Length(min=1, error="每个点位至少包含一个监测项目"))

    @validates_schema
    def _one(self, data, **kwargs):
        if bool(data.get("outlet_id")) == bool(data.get("new_point")):
            raise ValidationError("选择已登记排口，或在名录中没有时新增点位（二选一）", field_name="outlet_id")


class SchemeSchema(StrictSchema):
    points = fields.List(fields.Nested(SchemePointSchema), required=True,
                         validate=validate.Length(min=1, error="方案至少包含一个监测点位"))


class SamplingPlanSchema(StrictSchema):
    dates = fields.List(fields.Date(), required=True, validate=validate.Length(min=1, error="至少一个采样日期"))
    staff_ids = fields.List(fields.String(**ID), required=True, validate=validate.Length(min=1, error="至少一名采样人员"))
    equipment_ids = fields.List(fields.String(**ID), required=True,
                                validate=validate.Length(min=1, error="至少一台采样设备"))


class ReportMetaSchema(StrictSchema):
    number = text(max_len=64)
    kind = one_of(REPORT_KINDS)
    task_id = fields.String(required=True, **ID)
    plan_item_id = text(required=False, max_len=64)
    performed_on = fields.Date(required=True)
    issued_on = fields.Date(required=True)
    record_ids = fields.List(fields.String(**ID), load_default=list)
    description = text(required=False, max_len=1000)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["issued_on"] < data["performed_on"]:
            raise ValidationError("出具日期不能早于实施日期", field_name="issued_on")


CHANGE_STATUSES = CHANGE_STATUS_LABELS
