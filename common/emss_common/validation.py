"""Marshmallow at the edge of every service: load or raise ValidationFailed naming the field."""
from marshmallow import ValidationError

from .errors import ValidationFailed


def load(schema, payload, partial=False):
    if payload is None:
        payload = {}
    if not isinstance(payload, dict) and not getattr(schema, "many", False):
        raise ValidationFailed("请求内容必须是对象", field=None)
    try:
        return schema.load(payload, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed.from_marshmallow(exc.messages) from None
