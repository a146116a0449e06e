"""The JSON API under /api/v1. Every route declares who may call it; the table feeds OpenAPI."""
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Response, current_app, g, jsonify, request

from emss_common.errors import ValidationFailed
from emss_common.schema import UploadSchema
from emss_common.validation import load

from ..auth import requires

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass(frozen=True)
class RouteDoc:
    path: str
    method: str
    roles: object
    summary: str
    tag: str
    body: object = None
    query: object = None
    status: int = 200
    files: tuple = ()


ROUTES: list[RouteDoc] = []


def route(path, method, roles, summary, tag, body=None, query=None, status=200, payload=None, files=None):
    """Register a JSON route: check roles (and CSRF for cookie sessions), then the input against the
    gateway's own schemas (400 naming the field, before any service is called), answer JSON.

    body: the schema of the JSON body (a list: the view picks one and checks it with `checked`);
    query: the schema of the query string; payload: how to read a body that may also come as
    multipart/form-data (default: the JSON object); files: {field: message when missing} of uploads
    checked apart from the schema (a report's metadata has a schema, its file does not)."""
    files = files or {}

    def wrap(fn):
        @wraps(fn)
        def validating(actor, **kwargs):
            if query is not None:
                checked(query, args())
            if isinstance(body, type):
                data = (payload or json_object)()
                checked(body, {k: v for k, v in data.items() if k not in files})
                for field, missing in files.items():
                    _check_upload(data.get(field), field, missing)
                g.emss_payload = data
            return fn(actor, **kwargs)
        guarded = requires(roles)(validating)

        @wraps(fn)
        def view(**kwargs):
            result = guarded(**kwargs)
            if isinstance(result, Response):
                return result
            return jsonify(result), status
        bp.add_url_rule(path, endpoint=fn.__name__, view_func=view, methods=[method])
        ROUTES.append(RouteDoc(bp.url_prefix + path, method, roles, summary, tag, body, query, status,
                               tuple(files)))
        return fn
    return wrap


def services():
    return current_app.extensions["emss_services"]


def body():
    """The request's payload, as checked by the route's schema (or the JSON object, if it has none)."""
    return g.emss_payload if "emss_payload" in g else json_object()


def json_object():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("请求体必须是 JSON 对象", field="body")
    return data


def checked(schema, data):
    """`data` unchanged when `schema` accepts it (the service loads it again), else ValidationFailed
    naming the first bad field, as a service would."""
    load(schema(), data)
    return data


def _check_upload(upload, field, missing):
    """An upload outside the route's schema: present (else `missing`, as the service says) and shaped
    like {content_base64, name}; its content (type, size) is the service's to judge."""
    if not isinstance(upload, dict) or not upload.get("content_base64"):
        raise ValidationFailed(missing, field=field)
    try:
        load(UploadSchema(), upload)
    except ValidationFailed as exc:
        exc.field = f"{field}.{exc.field}" if exc.field else field
        raise


def args():
    return request.args.to_dict()
