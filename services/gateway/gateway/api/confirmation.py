"""Enterprise confirmation and institution review of field records, and confirmation of sampling
trips (the confirmation service). Every write carries where it came from (origin: the client's
address and browser as the gateway saw them), so the trail can say who acted from where."""
from flask import request

from emss_common.errors import ValidationFailed

from ..schemas import confirmation as cs
from . import args, body, json_object, route, services
from .fieldrecords import _file, upload_payload
from .roles import ENTERPRISE_USER, INSTITUTION_MEMBERS, REGULATOR, REVIEWER, SYSADMIN

READERS = INSTITUTION_MEMBERS + [ENTERPRISE_USER, REGULATOR, SYSADMIN]
C, T = "运维记录确认与审核", "采样行程确认"
FILES = ("signature", "photo")
LOCATION = ("longitude", "latitude", "accuracy", "crs")


def _origin():
    return {"ip": (request.remote_addr or "")[:64] or None,
            "user_agent": (request.headers.get("User-Agent") or "")[:500] or None}


def _act_payload():
    """JSON, or multipart/form-data from the phone: the work photo as a file, the signature as a
    file or as the signature pad's base64 PNG, record_ids repeated or comma-separated, and the
    phone's position as longitude/latitude/accuracy fields. The origin is always the gateway's."""
    if request.mimetype != "multipart/form-data":
        payload = json_object()
    else:
        present = [f for f in FILES if f in request.files]
        if not present:
            raise ValidationFailed("请上传面部清晰的工作照片", field="photo")
        payload = upload_payload(present[0])
        for field in present[1:]:
            payload[field] = upload_payload(field)[field]
        for field in FILES:
            if isinstance(payload.get(field), str):  # the signature pad's PNG, sent as a field
                payload[field] = {"name": f"{field}.png", "content_base64": payload[field]}
        ids = [i.strip() for v in request.form.getlist("record_ids") for i in v.split(",") if i.strip()]
        payload.pop("record_ids", None)
        if ids:
            payload["record_ids"] = ids
        where = {k: payload.pop(k) for k in LOCATION if k in payload}
        if where:
            payload["location"] = where
    payload["origin"] = _origin()
    return payload


@route("/confirmation/days", "GET", READERS,
       "待确认日期：按排污单位和日期汇总的运维记录及各状态数量（?awaiting=1 仅含待确认；?date_from=&date_to=&enterprise_id=）",
       C, query=cs.DaysQuerySchema)
def confirmation_days(actor):
    return services().confirmation.confirmation_days(actor, args())


@route("/confirmation/days/<day>/records", "GET", READERS, "某日的确认列表（运维编号、运维内容、经纬度、设备、运维人员、状态）",
       C, query=cs.DayRecordsQuerySchema)
def confirmation_day_records(actor, day):
    return services().confirmation.day_records(actor, day, args())


@route("/confirmation/days/<day>/confirm", "POST", [ENTERPRISE_USER],
       "排污单位确认：签字并上传面部清晰的工作照片，确认当日记录（缺省为当日全部待确认记录）；逐条返回确认结果与拒绝原因",
       C, body=cs.ConfirmDaySchema, payload=_act_payload)
def confirmation_confirm_day(actor, day):
    return services().confirmation.confirm_day(actor, day, body())


@route("/confirmation/records", "GET", READERS,
       "运维记录确认状态列表（?status=&day=&date_from=&date_to=&task_id=&enterprise_id=&outlet_id=&late=&overdue=&after=&before=&size=）",
       C, query=cs.RecordQuerySchema)
def confirmation_list_records(actor):
    return services().confirmation.list_records(actor, args())


@route("/confirmation/records/<record_id>", "GET", READERS, "运维记录的确认状态与留痕（谁、何时、从何处）", C)
def confirmation_get_record(actor, record_id):
    return services().confirmation.get_record(actor, record_id)


@route("/confirmation/reviews", "POST", [REVIEWER],
       "机构审核：确认或作废（须填写原因）一条或多条排污单位已确认的记录，签字并上传工作照片；审核人不能是填报人，逐条返回结果",
       C, body=cs.ReviewSchema, payload=_act_payload)
def confirmation_review(actor):
    return services().confirmation.review(actor, body())


@route("/confirmation/acts/<act_id>/<which>", "GET", READERS, "确认或审核时的签名（signature）或工作照片（photo）", C)
def confirmation_act_file(actor, act_id, which):
    return _file(services().confirmation.act_file(actor, act_id, which), which)


@route("/confirmation/trips", "GET", READERS, "采样行程确认列表（?status=awaiting_confirmation&sampling_task_id=&after=&before=&size=）",
       T, query=cs.TripQuerySchema)
def confirmation_list_trips(actor):
    return services().confirmation.list_trips(actor, args())


@route("/confirmation/trips/<trip_id>", "GET", READERS, "采样行程的确认状态与留痕", T)
def confirmation_get_trip(actor, trip_id):
    return services().confirmation.get_trip(actor, trip_id)


@route("/confirmation/trips/<trip_id>/confirm", "POST", [ENTERPRISE_USER],
       "排污单位确认采样行程：签字并上传工作照片（自主开展自行监测的无需确认）", T, body=cs.TripConfirmSchema,
       payload=_act_payload)
def confirmation_confirm_trip(actor, trip_id):
    return services().confirmation.confirm_trip(actor, trip_id, body())
