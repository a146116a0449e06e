"""Marshmallow at the edge of every service: load or raise ValidationFailed naming the field."""
from marshmallow import ValidationError

from .errors import ValidationFailed


MAX_DEPTH = 64  # no EMSS payload nests anywhere near this; a parser must not recurse on more
BAD_TEXT = "含有无效字符（孤立的 UTF-16 代理项），请检查输入"


def check_json_value(value, root="body", max_depth=MAX_DEPTH):
    """Refuse, with ValidationFailed naming its JSON path, the first string (or key) holding a lone
    UTF-16 surrogate ("\\ud800" in JSON: valid JSON, but no UTF-8 encoder, BSON or broker message
    takes it) and nesting deeper than max_depth. Walks without recursion."""
    stack = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > max_depth:
            raise ValidationFailed(f"JSON 嵌套层数不能超过{max_depth}层", field=root)
        if isinstance(item, str):
            if not _valid_text(item):
                raise ValidationFailed(BAD_TEXT, field=path or root)
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                if isinstance(key, str) and not _valid_text(key):  # the key cannot be named: its parent is
                    raise ValidationFailed(BAD_TEXT, field=path or root)
                children.append((child, f"{path}.{key}" if path else str(key), depth + 1))
            stack.extend(reversed(children))  # first key first: the first bad field is named
        elif isinstance(item, (list, tuple)):
            stack.extend((child, f"{path or root}[{i}]", depth + 1) for i, child in reversed(list(enumerate(item))))
    return value


def _valid_text(text):
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load(schema, payload, partial=False):
    if payload is None:
        payload = {}
    check_json_value(payload)
    if not isinstance(payload, dict) and not getattr(schema, "many", False):
        raise ValidationFailed("请求内容必须是对象", field=None)
    try:
        return schema.load(payload, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed.from_marshmallow(exc.messages) from None
