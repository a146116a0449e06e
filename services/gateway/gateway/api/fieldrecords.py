"""Field records, photos, signatures and sampling trips (the fieldrecords service)."""
import base64

from flask import Response, request

from emss_common.errors import ValidationFailed

from ..schemas import fieldrecords as fs
from . import args, body, json_object, route, services
from .roles import ENTERPRISE_USER, FIELD_STAFF, INSTITUTION_ADMIN, INSTITUTION_MEMBERS, REGULATOR, SYSADMIN

READERS = INSTITUTION_MEMBERS + [ENTERPRISE_USER, REGULATOR, SYSADMIN]
F, P = "现场运维记录", "现场采样"


def upload_payload(field="file"):
    """multipart/form-data (the phone's camera file plus fields) or JSON with file.content_base64."""
    if request.files:
        upload = request.files.get(field)
        if upload is None:
            raise ValidationFailed("请选择照片", field=field)
        payload = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
        payload[field] = {"name": upload.filename or field,
                          "content_base64": base64.b64encode(upload.read()).decode()}
        return payload
    return json_object()


def _file(f, name="photo"):
    return Response(base64.b64decode(f["content_base64"]), mimetype=f["content_type"],
                    headers={"Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff",
                             "Content-Disposition": f"inline; filename={name}"})


@route("/field/my-tasks", "GET", [FIELD_STAFF], "我的运维任务：排口、可填报表单、可选设备", F)
def my_tasks(actor):
    return services().fieldrecords.my_tasks(actor)


@route("/field/forms/<kind>", "GET", READERS, "表单说明（栏目、条目、计算项，来自表单目录）", F)
def form_description(actor, kind):
    return services().fieldrecords.form_description(kind)


@route("/field-records", "POST", [FIELD_STAFF], "开始签到并新建运维记录（submission_id 由客户端生成，重发不重复）", F,
       body=fs.StartRecordSchema, status=201)
def start_record(actor):
    return services().fieldrecords.start_record(actor, body())


@route("/field-records", "GET", READERS,
       "运维记录列表（?task_id=&outlet_id=&form_kind=&day=&date_from=&date_to=&status=&mine=&flagged=）", F,
       query=fs.RecordQuerySchema)
def list_records(actor):
    return services().fieldrecords.list_records(actor, args())


@route("/field-records/<record_id>", "GET", READERS, "运维记录详情（表单详情）", F)
def get_record(actor, record_id):
    return services().fieldrecords.get_record(actor, record_id)


@route("/field-records/<record_id>/draft", "PUT", [FIELD_STAFF], "保存草稿", F, body=fs.DraftSchema)
def save_draft(actor, record_id):
    return services().fieldrecords.save_draft(actor, record_id, body())


@route("/field-records/<record_id>/photos", "POST", [FIELD_STAFF],
       "上传照片（工作照片须有清晰人脸；upload_id 由客户端生成）", F, body=fs.PhotoSchema, status=201,
       payload=upload_payload)
def add_record_photo(actor, record_id):
    return services().fieldrecords.add_record_photo(actor, record_id, body())


@route("/field-records/<record_id>/submit", "POST", [FIELD_STAFF], "结束签到并上传（签名、完整表单）", F,
       body=fs.SubmitSchema)
def submit_record(actor, record_id):
    return services().fieldrecords.submit_record(actor, record_id, body())


@route("/field-records/<record_id>/signature", "GET", READERS, "签名图片", F)
def record_signature(actor, record_id):
    return _file(services().fieldrecords.signature_content(actor, record_id), "signature")


@route("/field-photos/<photo_id>", "GET", READERS, "照片", F)
def photo(actor, photo_id):
    return _file(services().fieldrecords.photo_content(actor, photo_id))


@route("/field/my-sampling-tasks", "GET", [FIELD_STAFF], "我的采样任务（现场采样环节）", P)
def my_sampling_tasks(actor):
    return services().fieldrecords.my_sampling_tasks(actor)


@route("/sampling-trips", "POST", [FIELD_STAFF], "进场签到，新建采样行程", P, body=fs.StartTripSchema, status=201)
def start_trip(actor):
    return services().fieldrecords.start_trip(actor, body())


@route("/sampling-trips", "GET", READERS, "采样行程列表（?sampling_task_id=&mine=1&size=&after=&before=）", P,
       query=fs.TripQuerySchema)
def list_trips(actor):
    query = args()
    if "mine" in query:
        query["mine"] = query["mine"] in ("1", "true", "yes")
    return services().fieldrecords.list_trips(actor, query)


@route("/sampling-trips/<trip_id>", "GET", READERS, "采样行程详情", P)
def get_trip(actor, trip_id):
    return services().fieldrecords.get_trip(actor, trip_id)


@route("/sampling-trips/<trip_id>/photos", "POST", [FIELD_STAFF], "上传采样照片", P, body=fs.PhotoSchema, status=201,
       payload=upload_payload)
def add_trip_photo(actor, trip_id):
    return services().fieldrecords.add_trip_photo(actor, trip_id, body())


@route("/sampling-trips/<trip_id>/samples", "POST", [FIELD_STAFF], "记录样品（现场采样）", P, body=fs.SampleSchema)
def add_sample(actor, trip_id):
    return services().fieldrecords.add_sample(actor, trip_id, body())


@route("/sampling-trips/<trip_id>/conditions", "PUT", [FIELD_STAFF], "采样工况", P, body=fs.ConditionsSchema)
def set_trip_conditions(actor, trip_id):
    return services().fieldrecords.set_trip_conditions(actor, trip_id, body())


@route("/sampling-trips/<trip_id>/depart", "POST", [FIELD_STAFF], "离场签到（提交排污单位确认）", P, body=fs.DepartSchema)
def depart_trip(actor, trip_id):
    return services().fieldrecords.depart_trip(actor, trip_id, body())


@route("/sampling-trips/<trip_id>/signature", "GET", READERS, "采样行程签名", P)
def trip_signature(actor, trip_id):
    return _file(services().fieldrecords.signature_content(actor, trip_id), "signature")


@route("/sample-receipts", "POST", [FIELD_STAFF, INSTITUTION_ADMIN], "来样检查（完整性、时效、保存、标识，附照片）", P,
       body=fs.ReceiptSchema, status=201)
def record_receipt(actor):
    return services().fieldrecords.record_receipt(actor, body())


@route("/sampling-tasks/<task_id>/receipts", "GET", READERS, "采样任务的来样检查记录", P)
def list_receipts(actor, task_id):
    return services().fieldrecords.list_receipts(actor, task_id)
