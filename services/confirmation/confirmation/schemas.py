"""The confirmation service's payloads, validated at its edge (Chinese messages, field paths)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from emss_common.paging import KeysetQuerySchema
from emss_common.schema import PositionSchema, StrictSchema, UploadSchema, client_id, one_of, text

from .domain.records import DECISION_LABELS, STATUS_LABELS
from .domain.trips import STATUS_LABELS as TRIP_STATUS_LABELS

ID = dict(validate=validate.Length(min=1, max=64))
MAX_BATCH = 200


class OriginSchema(StrictSchema):
    """Where the act came from, as the gateway saw the request (never what the client claims)."""
    ip = text(required=False, max_len=64)
    user_agent = text(required=False, max_len=500)


class ActSchema(StrictSchema):
    """What every confirming act carries: a handwritten signature and a work photo with a face."""
    submission_id = client_id(required=False)
    signature = fields.Nested(UploadSchema, required=True)
    photo = fields.Nested(UploadSchema, required=True)
    origin = fields.Nested(OriginSchema, load_default=None, allow_none=True)
    location = fields.Nested(PositionSchema, load_default=None, allow_none=True)


class ConfirmDaySchema(ActSchema):
    """排污单位确认: the day's records (all still awaiting confirmation when record_ids is absent)."""
    record_ids = fields.List(fields.String(**ID), load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=MAX_BATCH,
                                                      error=f"应选择1到{MAX_BATCH}条记录"))


class ReviewSchema(ActSchema):
    """机构审核: confirm or void (with a reason) one record or a batch."""
    record_ids = fields.List(fields.String(**ID), required=True,
                             validate=validate.Length(min=1, max=MAX_BATCH, error=f"应选择1到{MAX_BATCH}条记录"))
    decision = one_of(DECISION_LABELS)
    reason = text(required=False, max_len=500)

    @validates_schema
    def _reason(self, data, **kwargs):
        if data.get("decision") == "void" and not (data.get("reason") or "").strip():
            raise ValidationError("作废必须填写原因", field_name="reason")


class TripConfirmSchema(ActSchema):
    note = text(required=False, max_len=500)


class PageSchema(KeysetQuerySchema):
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RecordQuerySchema(PageSchema):
    status = one_of(STATUS_LABELS, required=False)
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
    """待确认日期: days with records, newest first; by default the last `window` days and every
    older day that still has records awaiting confirmation."""
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    enterprise_id = text(required=False, max_len=64)
    awaiting = fields.Boolean(load_default=False)


class DayRecordsQuerySchema(StrictSchema):
    enterprise_id = text(required=False, max_len=64)
    status = one_of(STATUS_LABELS, required=False)


class TripQuerySchema(PageSchema):
    status = one_of(TRIP_STATUS_LABELS, required=False)
    sampling_task_id = text(required=False, max_len=64)
    enterprise_id = text(required=False, max_len=64)
