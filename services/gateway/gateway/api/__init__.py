"""The JSON API under /api/v1. Every route declares who may call it; the table feeds OpenAPI."""
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Response, current_app, jsonify, request

from emss_common.errors import ValidationFailed

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


ROUTES: list[RouteDoc] = []


def route(path, method, roles, summary, tag, body=None, query=None, status=200):
    """Register a JSON route: check roles (and CSRF for cookie sessions), answer JSON."""
    def wrap(fn):
        guarded = requires(roles)(fn)

        @wraps(fn)
        def view(**kwargs):
            result = guarded(**kwargs)
            if isinstance(result, Response):
                return result
            return jsonify(result), status
        bp.add_url_rule(path, endpoint=fn.__name__, view_func=view, methods=[method])
        ROUTES.append(RouteDoc(bp.url_prefix + path, method, roles, summary, tag, body, query, status))
        return fn
    return wrap


def services():
    return current_app.extensions["emss_services"]


def body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("请求体必须是 JSON 对象", field="body")
    return data


def args():
    return request.args.to_dict()
