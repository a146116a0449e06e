"""The gateway's own shapes of the confirmation routes' input (services/gateway/tests/test_schemas_agree.py
keeps them in agreement with the confirmation service's schemas; whether a void has its reason is the
service's rule)."""
from marshmallow import fields, validate

from emss_common.paging import KeysetQuerySchema
from emss_common.schema import PositionSchema, StrictSchema, UploadSchema, client_id, one_of, text
from emss_common.vocabulary import RECORD_STATUSES, REVIEW_DECISIONS, TRIP_STATUSES

ID = dict(validate=validate.Length(min=1, max=64))
MAX_BATCH = 200


class OriginSchema(StrictSchema):
    """Where the act came from: the gateway writes it from the request, whatever the client sends."""
    ip = text(required=False, max_len=64)
    user_agent = text(required=False, max_len=500)


class ActSchema(StrictSchema):
    submission_id = client_id(required=False)
    signature = fields.Nested(UploadSchema, required=True)
    photo = fields.Nested(UploadSchema, required=True)
    origin = fields.Nested(OriginSchema, load_default=None, allow_none=True)
    location = fields.Nested(PositionSchema, load_default=None, allow_none=True)


class ConfirmDaySchema(ActSchema):
    record_ids = fields.List(fields.String(**ID), load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=MAX_BATCH,
                                                      error=f"应选择1到{MAX_BATCH}条记录"))


class ReviewSchema(ActSchema):
    record_ids = fields.List(fields.String(**ID), required=True,
                             validate=validate.Length(min=1, max=MAX_BATCH, error=f"应选择1到{MAX_BATCH}条记录"))
    decision = one_of(REVIEW_DECISIONS)
    reason = text(required=False, max_len=500)


class TripConfirmSchema(ActSchema):
    note = text(required=False, max_len=500)


class PageSchema(KeysetQuerySchema):
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RecordQuerySchema(PageSchema):
    status = one_of(RECORD_STATUSES, required=False)
    day = fields.Date(load_default=None, allow_none=True)
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    task_id = text(required=False, max_len=64)
    enterprise_id = text(required=False, max_len=64)
    institution_id = text(required=False, max_len=64)
    outlet_id = text(required=False, max_len=64)
    form_kind = text(required=False, max_len=64)
    late = fields.Boolean(load_default=None, allow_none=True)
    overdue = fields.Boolean(load_default=None, allow_none=True)


class DaysQuerySchema(StrictSchema):
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    enterprise_id = text(required=False, max_len=64)
    awaiting = fields.Boolean(load_default=False)


class DayRecordsQuerySchema(StrictSchema):
    enterprise_id = text(required=False, max_len=64)
    status = one_of(RECORD_STATUSES, required=False)


class TripQuerySchema(PageSchema):
    status = one_of(TRIP_STATUSES, required=False)
    sampling_task_id = text(required=False, max_len=64)
    enterprise_id = text(required=False, max_len=64)
