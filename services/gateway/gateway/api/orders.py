"""Rectification orders (整改单) and on-site inspections / comparison spot tests (考核管理) of the
credit service. Answers and inspections carry files: JSON with {name, content_base64}, or
multipart/form-data as the pages and phones send them."""
import base64
import json
import re

from flask import Response, request

from emss_common.errors import ValidationFailed

from ..schemas import credit as cs
from . import args, body, json_object, route, services
from .roles import ENTERPRISE_USER, INSTITUTION_ADMIN, REGULATOR, SYSADMIN

READERS = [INSTITUTION_ADMIN, ENTERPRISE_USER, REGULATOR, SYSADMIN]
ADDRESSEES = [INSTITUTION_ADMIN, ENTERPRISE_USER]
O, K = "整改单", "考核管理"
_SPLIT = re.compile(r"[\s,，、;；]+")


def split_list(values):
    """Ids or names typed into one field or sent as repeated fields: 'a、b' and ['a', 'b'] alike."""
    return [v for value in values for v in _SPLIT.split(value or "") if v]


def upload(file_storage):
    return {"name": file_storage.filename or "file",
            "content_base64": base64.b64encode(file_storage.read()).decode()}


def files_of(name):
    return [upload(f) for f in request.files.getlist(name) if f and f.filename]


def _json_field(form, name):
    raw = form.get(name)
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ValidationFailed("应为 JSON", field=name) from None


def answer_payload():
    """JSON {answers: [...]}, or multipart: `item_id` repeated, and per item `text.<item_id>`,
    `record_ids.<item_id>` (repeated or separated) and files `files.<item_id>`."""
    if request.mimetype != "multipart/form-data":
        return json_object()
    form = request.form
    answers = []
    for item_id in form.getlist("item_id"):
        answers.append({"item_id": item_id, "text": (form.get(f"text.{item_id}") or "").strip(),
                        "record_ids": split_list(form.getlist(f"record_ids.{item_id}")),
                        "files": files_of(f"files.{item_id}")})
    return {"answers": answers}


LIST_FIELDS = ("inspectors", "warning_ids")


def inspection_payload():
    """JSON, or multipart: the fields of the inspection, `inspectors` and `warning_ids` repeated or
    separated, `items` and `factors` as JSON text, photos as files `photos`."""
    if request.mimetype != "multipart/form-data":
        return json_object()
    form = request.form
    payload = {k: v for k, v in form.items()
               if k not in ("csrf_token", "items", "factors") + LIST_FIELDS and v != ""}
    for name in LIST_FIELDS:
        if name in form:
            payload[name] = split_list(form.getlist(name))
    for name in ("items", "factors"):
        value = _json_field(form, name)
        if value is not None:
            payload[name] = value
    payload["photos"] = files_of("photos")
    return payload


def file_response(f):
    return Response(base64.b64decode(f["content_base64"]), mimetype=f["content_type"],
                    headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
                             "Content-Disposition": "inline; filename*=UTF-8''" + _quote(f.get("name") or "file")})


def _quote(name):
    from urllib.parse import quote
    return quote(name)


# ----- 整改单 -----

@route("/orders", "GET", READERS,
       "整改单列表（?status=&addressee_kind=&institution_id=&enterprise_id=&district=&overdue=&warning_id=&size=&after=&before=）：监管方按辖区，机构与排污单位为发给本单位的",
       O, query=cs.OrderQuerySchema)
def list_orders(actor):
    return services().credit.list_orders(actor, args())


@route("/orders", "POST", [REGULATOR],
       "下发整改单：整改对象（运维机构或排污单位）、整改项（各关联预警或现场检查）、整改期限（工作日）", O,
       body=cs.IssueOrderSchema, status=201)
def issue_order(actor):
    return services().credit.issue_order(actor, body())


@route("/orders/<order_id>", "GET", READERS, "整改单详情：整改项、各轮回复（文字、附件、新运维记录）与留痕", O)
def get_order(actor, order_id):
    return services().credit.get_order(actor, order_id)


@route("/orders/<order_id>/answer", "POST", ADDRESSEES,
       "回复整改单：逐项填写整改情况，附文件（PDF/PNG/JPEG，按内容识别）和整改后的运维记录；JSON 或 multipart/form-data", O,
       body=cs.AnswerOrderSchema, payload=answer_payload)
def answer_order(actor, order_id):
    return services().credit.answer_order(actor, order_id, body())


@route("/orders/<order_id>/review", "POST", [REGULATOR], "审核整改回复：accept 销号 / return 退回（须填写原因）", O,
       body=cs.ReviewOrderSchema)
def review_order(actor, order_id):
    return services().credit.review_order(actor, order_id, body())


@route("/orders/<order_id>/files/<file_id>", "GET", READERS, "整改回复的附件", O)
def order_file(actor, order_id, file_id):
    return file_response(services().credit.order_file(actor, order_id, file_id))


# ----- 现场检查 / 比对抽测 -----

@route("/inspections", "GET", READERS,
       "现场检查与比对抽测列表（?kind=onsite|comparison&institution_id=&outlet_id=&district=&failed=&size=&after=&before=）", K,
       query=cs.InspectionQuerySchema)
def list_inspections(actor):
    return services().credit.list_inspections(actor, args())


@route("/inspections", "POST", [REGULATOR],
       "登记现场检查（检查项合格/不合格）或比对抽测（各因子监管监测值与自动监测读数，按 HJ 75 / HJ 355 限值判定），附照片；不合格即产生预警",
       K, body=cs.InspectionSchema, status=201, payload=inspection_payload)
def record_inspection(actor):
    return services().credit.record_inspection(actor, body())


@route("/inspections/<inspection_id>", "GET", READERS, "现场检查或比对抽测详情（含各因子误差与判定）", K)
def get_inspection(actor, inspection_id):
    return services().credit.get_inspection(actor, inspection_id)


@route("/inspections/<inspection_id>/photos/<photo_id>", "GET", READERS, "现场检查照片", K)
def inspection_photo(actor, inspection_id, photo_id):
    return file_response(services().credit.inspection_file(actor, inspection_id, photo_id))
