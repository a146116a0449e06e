"""The OpenAPI document, built from the route table so that every route is covered."""
import re
from decimal import Decimal

from apispec import APISpec
from marshmallow import fields
from apispec.ext.marshmallow import MarshmallowPlugin

from emss_common.schema import UploadSchema

from .api.registered import ROUTES
from .auth import PUBLIC, AUTHENTICATED

_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "field": {"type": "string", "nullable": True}}}},
}


def schema_name(schema):
    """Component names carry the owning package (registry.Transition vs tasks.Transition); the
    gateway's own schemas are named after the service whose routes they shape."""
    cls = schema if isinstance(schema, type) else type(schema)
    parts = cls.__module__.split(".")
    owner = parts[2] if parts[:2] == ["gateway", "schemas"] and len(parts) > 2 else parts[0]
    name = cls.__name__.removesuffix("Schema")
    prefix = "" if owner == "emss_common" else owner.capitalize()
    partial = getattr(schema, "partial", False) if not isinstance(schema, type) else False
    return f"{prefix}{name}{'Partial' if partial else ''}"


def build_spec():
    spec = APISpec(title="EMSS 环境监测社会化服务监管系统 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)],
                   info={"description": "Errors are {\"error\": {\"code\", \"message\", \"field\"}}. "
                                        "x-roles lists the roles allowed to call each operation."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "emss_session"})
    spec.components.schema("Error", ERROR_SCHEMA)
    paths = {}
    for r in ROUTES:
        path = _PARAM.sub(r"{\1}", r.path)
        op = {
            "summary": r.summary, "tags": [r.tag], "operationId": f"{r.method.lower()}_{_op_name(path)}",
            "x-roles": r.roles if isinstance(r.roles, list) else [r.roles],
            "parameters": [{"name": p, "in": "path", "required": True, "schema": _PATH_PARAMS.get(p, {"type": "string"})}
                           for p in _PARAM.findall(r.path)],
            "responses": {str(r.status): {"description": "成功"},
                          "400": _err("请求内容有误（field 指明字段）"),
                          "401": _err("未登录"), "403": _err("无权操作"), "404": _err("不存在"),
                          "409": _err("状态冲突")},
        }
        if r.roles != PUBLIC:
            op["security"] = [{"bearer": []}, {"cookie": []}]
        if r.query is not None:
            op["parameters"].append({"in": "query", "schema": r.query})
        if r.body is not None:
            bodies = r.body if isinstance(r.body, list) else [r.body]
            if r.files:  # uploads beside the schema's fields (a report's file)
                bodies = [with_uploads(b, r.files) for b in bodies]
            schema = bodies[0] if len(bodies) == 1 else {"oneOf": bodies}
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        paths.setdefault(path, {})[r.method.lower()] = op
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return _numbers(spec.to_dict())


def with_uploads(schema_cls, names):
    """The body schema with its required uploads as fields of its own: an allOf beside a schema that
    refuses unknown fields would describe no valid body at all."""
    extra = {f: fields.Nested(UploadSchema, required=True) for f in names}
    extra["__module__"] = schema_cls.__module__  # keeps the component's owner prefix
    return type(f"{schema_cls.__name__.removesuffix('Schema')}UploadSchema", (schema_cls,), extra)


# Path parameters the server parses (and answers 400 when they do not parse).
_PATH_PARAMS = {"day": {"type": "string", "format": "date"}}


def _numbers(node):
    """A Decimal bound (Range(min=0) on a Decimal field) becomes a JSON number, not "0.00"."""
    if isinstance(node, dict):
        return {k: _numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers(v) for v in node]
    if isinstance(node, Decimal):
        return int(node) if node == node.to_integral_value() else float(node)
    return node


def _err(text):
    return {"description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op_name(path):
    return re.sub(r"[^a-z0-9]+", "_", path.replace("/api/v1", "").lower()).strip("_")


__all__ = ["build_spec", "AUTHENTICATED"]
