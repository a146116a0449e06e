"""Marshmallow base for every EMSS schema: Chinese error messages, unknown fields refused."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema, RAISE

from .clock import FIRST_YEAR, LAST_YEAR, in_range
from .credentials import (PASSWORD_CLASSES_MESSAGE, PASSWORD_LENGTH_MESSAGE, PASSWORD_MIN_LENGTH, USERNAME,
                          USERNAME_MESSAGE, too_few_classes)

_MESSAGES = {
    fields.Field: {"required": "必填项", "null": "不能为空", "validator_failed": "取值无效"},
    fields.String: {"invalid": "应为文本"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Float: {"invalid": "应为数字", "special": "不能是特殊数值"},
    fields.Decimal: {"invalid": "应为数字", "special": "不能是特殊数值"},
    fields.Boolean: {"invalid": "应为是/否"},
    fields.Date: {"invalid": "日期格式应为 YYYY-MM-DD", "format": "日期格式应为 YYYY-MM-DD"},
    fields.DateTime: {"invalid": "时间格式应为 ISO 8601", "format": "时间格式应为 ISO 8601"},
    fields.List: {"invalid": "应为列表"},
    fields.Dict: {"invalid": "应为对象"},
    fields.Nested: {"type": "应为对象"},
    fields.Email: {"invalid": "邮箱格式不正确"},
    fields.URL: {"invalid": "网址格式不正确"},
}
for _cls, _msgs in _MESSAGES.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_msgs}
Schema._default_error_messages = {  # type: ignore[attr-defined]
    **getattr(Schema, "_default_error_messages", {}),
    "type": "请求内容格式不正确", "unknown": "未知字段",
}


def _within_years(deserialize, what):
    """Every date and time field refuses years outside FIRST_YEAR..LAST_YEAR (checked as parsed,
    before any time-zone conversion), so no later conversion or date arithmetic can overflow."""
    def checked(self, value, attr, data, **kwargs):
        out = deserialize(self, value, attr, data, **kwargs)
        if not in_range(out):
            raise ValidationError(f"{what}应在{FIRST_YEAR}年到{LAST_YEAR}年之间")
        return out
    return checked


fields.DateTime._deserialize = _within_years(fields.DateTime._deserialize, "时间")
fields.Date._deserialize = _within_years(fields.Date._deserialize, "日期")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def text(required=True, max_len=200, min_len=1, **kw):
    from marshmallow import validate
    kw.setdefault("validate", validate.Length(min=min_len if required else 0, max=max_len,
                                              error=f"长度应在{min_len}到{max_len}之间"))
    if not required:
        kw.setdefault("load_default", None)
        kw.setdefault("allow_none", True)
    return fields.String(required=required, **kw)


def one_of(choices, required=True, **kw):
    from marshmallow import validate
    kw.setdefault("validate", validate.OneOf(list(choices), error="取值应为：{choices}"))
    if not required:
        kw.setdefault("load_default", None)
        kw.setdefault("allow_none", True)
    return fields.String(required=required, **kw)


class DecisionSchema(StrictSchema):
    """A reviewer's decision: approve, or reject with a reason."""
    decision = one_of(("approve", "reject"))
    reason = text(required=False, max_len=500)

    @validates_schema
    def _reason(self, data, **kwargs):
        if data["decision"] == "reject" and not (data.get("reason") or "").strip():
            raise ValidationError("驳回必须填写原因", field_name="reason")


def client_id(required=True):
    """A client-generated id (UUID-like) that makes a retried request harmless on a weak network."""
    kw = dict(required=True) if required else dict(load_default=None, allow_none=True)
    return fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$", error="应为8到64位字母、数字、-或_"),
                         **kw)


class UploadSchema(StrictSchema):
    """A file inside a JSON payload (photos, signatures, reports)."""
    content_base64 = fields.String(required=True, validate=validate.Length(min=1, error="文件为空"))
    name = text(required=False, max_len=120)


class PositionSchema(StrictSchema):
    """Where a phone says it is. WeChat's location API gives GCJ-02 (the default); a plain
    browser's geolocation gives WGS-84 and says so. Never the time: that is the server's."""
    longitude = fields.Float(required=True, validate=validate.Range(min=73.0, max=136.0,
                                                              error="经度应在中国境内（73到136之间）"))
    latitude = fields.Float(required=True, validate=validate.Range(min=3.0, max=54.0,
                                                             error="纬度应在中国境内（3到54之间）"))
    accuracy = fields.Float(load_default=None, allow_none=True,
                            validate=validate.Range(min=0, max=100000, error="定位精度应为非负数（米）"))
    crs = one_of(("GCJ-02", "WGS-84"), required=False, load_default="GCJ-02")


def username():
    return fields.String(required=True, validate=validate.Regexp(USERNAME, error=USERNAME_MESSAGE))


def password_classes(value):
    if too_few_classes(value):
        raise ValidationError(PASSWORD_CLASSES_MESSAGE)


def password(**kw):
    """A new password: the length stated as a rule the OpenAPI document shows (minLength), then the
    character classes."""
    return fields.String(required=True, validate=[
        validate.Length(min=PASSWORD_MIN_LENGTH, error=PASSWORD_LENGTH_MESSAGE), password_classes], **kw)


PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{8})$")


def phone():
    """A mainland mobile or landline number."""
    return fields.String(required=True, validate=validate.Regexp(PHONE, error="电话号码格式不正确"))
