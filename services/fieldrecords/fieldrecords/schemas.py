"""The fieldrecords service's payloads, validated at its edge. The form content itself is checked
by the forms pipeline (domain/forms), against the catalogue."""
from marshmallow import fields, validate

from emss_common.clock import SHANGHAI
from emss_common.paging import KeysetQuerySchema
from emss_common.schema import PositionSchema, StrictSchema, UploadSchema, client_id, one_of, text
from emss_common import vocabulary
from emss_common.vocabulary import PRODUCTION_STATUSES, TREATMENT_STATUSES

ID = dict(validate=validate.Length(min=1, max=64))
CheckInSchema = PositionSchema   # 打卡签到: what the phone reports


class ContentSchema(StrictSchema):
    values = fields.Dict(load_default=dict)
    blocks = fields.List(fields.Dict(), load_default=list)


class StartRecordSchema(StrictSchema):
    submission_id = client_id()
    task_id = fields.String(required=True, **ID)
    outlet_id = fields.String(required=True, **ID)
    form_kind = fields.String(required=True, **ID)
    check_in = fields.Nested(CheckInSchema, required=True)


class DraftSchema(StrictSchema):
    content = fields.Nested(ContentSchema, required=True)


FileSchema = UploadSchema


PHOTO_KINDS = vocabulary.PHOTO_KINDS


class PhotoSchema(StrictSchema):
    upload_id = client_id()
    kind = one_of(PHOTO_KINDS)
    caption = text(required=False, max_len=200)
    file = fields.Nested(FileSchema, required=True)


class SubmitSchema(StrictSchema):
    submission_id = client_id()
    check_out = fields.Nested(CheckInSchema, required=True)
    content = fields.Nested(ContentSchema, load_default=None, allow_none=True)
    signature = fields.Nested(FileSchema, required=True)
    description = text(required=False, max_len=1000)
    # the institution's filed instruments used for the work (备案的仪器设备): judged against their calibration
    equipment_ids = fields.List(text(max_len=64), load_default=list,
                                validate=validate.Length(max=20, error="使用的仪器设备最多20台"))


class RecordQuerySchema(KeysetQuerySchema):
    task_id = text(required=False, max_len=64)
    outlet_id = text(required=False, max_len=64)
    form_kind = text(required=False, max_len=64)
    status = one_of(("draft", "submitted"), required=False)
    enterprise_id = text(required=False, max_len=64)
    mine = fields.Boolean(load_default=False)
    day = fields.Date(load_default=None, allow_none=True)
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    flagged = fields.Boolean(load_default=None, allow_none=True)
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


# ----- sampling trips (现场采样, seed 002 §3.2.4) -----

class StartTripSchema(StrictSchema):
    submission_id = client_id()
    sampling_task_id = fields.String(required=True, **ID)
    check_in = fields.Nested(CheckInSchema, required=True)


class TripQuerySchema(KeysetQuerySchema):
    sampling_task_id = text(required=False, max_len=64)
    mine = fields.Boolean(load_default=False)
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200, error="每页条数应在1到200之间"))


class SampleSchema(StrictSchema):
    sample_id = client_id()        # the client's id of this entry (retries)
    point_index = fields.Integer(required=True, validate=validate.Range(min=0, max=999))
    item = text(max_len=50)                        # 监测项目 (factor)
    sample_code = text(max_len=64)                 # 样品编号
    container = text(max_len=100)                  # 采样容器
    preservation = text(max_len=200)               # 保存方式
    taken_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    note = text(required=False, max_len=500)
    photo_ids = fields.List(fields.String(**ID), load_default=list)


class ConditionsSchema(StrictSchema):
    """采样工况: what the plant was doing while it was sampled."""
    production_status = one_of(PRODUCTION_STATUSES)
    load_pct = fields.Float(load_default=None, allow_none=True,
                            validate=validate.Range(min=0, max=150, error="生产负荷应在0到150%之间"))
    treatment_status = one_of(TREATMENT_STATUSES)
    note = text(required=False, max_len=1000)
    photo_ids = fields.List(fields.String(**ID), load_default=list)


class DepartSchema(StrictSchema):
    submission_id = client_id()
    check_out = fields.Nested(CheckInSchema, required=True)
    signature = fields.Nested(FileSchema, required=True)


class ReceiptSchema(StrictSchema):
    """来样检查: an institution that receives samples checks and records them (seed 002 一(三))."""
    submission_id = client_id()
    sampling_task_id = fields.String(required=True, **ID)
    sample_code = text(max_len=64)
    collected_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    received_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    intact = fields.Boolean(required=True)           # 完整性
    storage_ok = fields.Boolean(required=True)       # 保存条件
    label_ok = fields.Boolean(required=True)         # 识别信息
    storage_condition = text(max_len=200)
    note = text(required=False, max_len=1000)
    photos = fields.List(fields.Nested(FileSchema), required=True,
                         validate=validate.Length(min=1, max=6, error="应上传1到6张样品照片"))
