"""The gateway's own shapes of the fieldrecords routes' input (the form content itself is checked by
the fieldrecords service against the form catalogue; services/gateway/tests/test_schemas_agree.py
keeps these in agreement with the service's schemas)."""
from marshmallow import fields, validate

from emss_common.clock import SHANGHAI
from emss_common.paging import KeysetQuerySchema
from emss_common.schema import PositionSchema, StrictSchema, UploadSchema, client_id, one_of, text
from emss_common.vocabulary import PHOTO_KINDS, PRODUCTION_STATUSES, TREATMENT_STATUSES

ID = dict(validate=validate.Length(min=1, max=64))


class ContentSchema(StrictSchema):
    values = fields.Dict(load_default=dict)
    blocks = fields.List(fields.Dict(), load_default=list)


class StartRecordSchema(StrictSchema):
    submission_id = client_id()
    task_id = fields.String(required=True, **ID)
    outlet_id = fields.String(required=True, **ID)
    form_kind = fields.String(required=True, **ID)
    check_in = fields.Nested(PositionSchema, required=True)


class DraftSchema(StrictSchema):
    content = fields.Nested(ContentSchema, required=True)


class PhotoSchema(StrictSchema):
    upload_id = client_id()
    kind = one_of(PHOTO_KINDS)
    caption = text(required=False, max_len=200)
    file = fields.Nested(UploadSchema, required=True)


class SubmitSchema(StrictSchema):
    submission_id = client_id()
    check_out = fields.Nested(PositionSchema, required=True)
    content = fields.Nested(ContentSchema, load_default=None, allow_none=True)
    signature = fields.Nested(UploadSchema, required=True)
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


# ----- sampling trips -----

class TripQuerySchema(KeysetQuerySchema):
    sampling_task_id = text(required=False, max_len=64)
    mine = fields.Boolean(load_default=False)
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200, error="每页条数应在1到200之间"))


class StartTripSchema(StrictSchema):
    submission_id = client_id()
    sampling_task_id = fields.String(required=True, **ID)
    check_in = fields.Nested(PositionSchema, required=True)


class SampleSchema(StrictSchema):
    sample_id = client_id()
    point_index = fields.Integer(required=True, validate=validate.Range(min=0, max=999))
    item = text(max_len=50)
    sample_code = text(max_len=64)
    container = text(max_len=100)
    preservation = text(max_len=200)
    taken_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    note = text(required=False, max_len=500)
    photo_ids = fields.List(fields.String(**ID), load_default=list)


class ConditionsSchema(StrictSchema):
    production_status = one_of(PRODUCTION_STATUSES)
    load_pct = fields.Float(load_default=None, allow_none=True,
                            validate=validate.Range(min=0, max=150, error="生产负荷应在0到150%之间"))
    treatment_status = one_of(TREATMENT_STATUSES)
    note = text(required=False, max_len=1000)
    photo_ids = fields.List(fields.String(**ID), load_default=list)


class DepartSchema(StrictSchema):
    submission_id = client_id()
    check_out = fields.Nested(PositionSchema, required=True)
    signature = fields.Nested(UploadSchema, required=True)


class ReceiptSchema(StrictSchema):
    submission_id = client_id()
    sampling_task_id = fields.String(required=True, **ID)
    sample_code = text(max_len=64)
    collected_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    received_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    intact = fields.Boolean(required=True)
    storage_ok = fields.Boolean(required=True)
    label_ok = fields.Boolean(required=True)
    storage_condition = text(max_len=200)
    note = text(required=False, max_len=1000)
    photos = fields.List(fields.Nested(UploadSchema), required=True,
                         validate=validate.Length(min=1, max=6, error="应上传1到6张样品照片"))
