"""One answer of a form: read from what the client sent, checked against its field, and written
back in the stored shape (numbers as float, datetimes as ISO 8601 in UTC, dates as YYYY-MM-DD).

`parse` returns ABSENT for a blank answer (None, "" or only spaces): a blank is not an answer.
Requirements (required fields, minimum rows, a note for 不正常) are checked only when `complete`.
"""
import math
import re
from datetime import date, datetime, timezone

from emss_common.errors import ValidationFailed

from emss_common.forms import fmt
from .model import NOTE_MAX_LEN

ABSENT = object()
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def blank(raw):
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse(field, raw, path, complete):
    if blank(raw):
        return ABSENT
    return _PARSERS[field.type](field, raw, path, complete)


def _number(field, raw, path, complete):
    if isinstance(raw, bool):
        raise ValidationFailed("应为数字", field=path)
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValidationFailed("应为数字", field=path) from None
    else:
        raise ValidationFailed("应为数字", field=path)
    if not math.isfinite(value):
        raise ValidationFailed("应为有限的数字", field=path)
    if field.gt is not None and value <= field.gt:
        raise ValidationFailed(f"应大于{fmt(field.gt)}", field=path)
    if field.min is not None and value < field.min:
        raise ValidationFailed(f"不能小于{fmt(field.min)}", field=path)
    if field.max is not None and value > field.max:
        raise ValidationFailed(f"不能大于{fmt(field.max)}", field=path)
    return value


def _text(field, raw, path, complete):
    if not isinstance(raw, str):
        raise ValidationFailed("应为文本", field=path)
    value = raw.strip()
    if len(value) > field.max_len:
        raise ValidationFailed(f"长度不能超过{field.max_len}个字符", field=path)
    return value


def _choice(field, raw, path, complete):
    if not isinstance(raw, str) or field.option_label(raw) is None:
        allowed = "、".join(f"{k}（{v}）" for k, v in field.options)
        raise ValidationFailed(f"取值应为：{allowed}", field=path)
    return raw


def _datetime(field, raw, path, complete):
    message = "时间应为带时区的 ISO 8601 格式，如 2024-05-06T09:30:00+08:00"
    if not isinstance(raw, str):
        raise ValidationFailed(message, field=path)
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(message, field=path) from None
    if value.tzinfo is None:
        raise ValidationFailed(message, field=path)
    return value.astimezone(timezone.utc)


def _date(field, raw, path, complete):
    message = "日期格式应为 YYYY-MM-DD"
    if not isinstance(raw, str) or not _DATE.match(raw.strip()):
        raise ValidationFailed(message, field=path)
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(message, field=path) from None


def _boolean(field, raw, path, complete):
    if not isinstance(raw, bool):
        raise ValidationFailed("应为是/否（true/false）", field=path)
    return raw


def _check(field, raw, path, complete):
    """An inspection item: {"result": "normal" | "abnormal", "note": "..."}."""
    if not isinstance(raw, dict):
        raise ValidationFailed("应为对象：{result, note}", field=path)
    for key in raw:
        if key not in ("result", "note"):
            raise ValidationFailed("未知字段", field=f"{path}.{key}")
    result, note = raw.get("result"), raw.get("note")
    out = {}
    if not blank(result):
        if result not in ("normal", "abnormal"):
            raise ValidationFailed("应为 normal（正常）或 abnormal（不正常）", field=f"{path}.result")
        out["result"] = result
    elif complete:
        raise ValidationFailed(f"请选择“{field.label}”的检查结果", field=f"{path}.result")
    if not blank(note):
        if not isinstance(note, str):
            raise ValidationFailed("应为文本", field=f"{path}.note")
        if len(note.strip()) > NOTE_MAX_LEN:
            raise ValidationFailed(f"长度不能超过{NOTE_MAX_LEN}个字符", field=f"{path}.note")
        out["note"] = note.strip()
    if complete and out.get("result") == "abnormal" and "note" not in out:
        raise ValidationFailed("检查结果为不正常时须填写说明", field=f"{path}.note")
    return out or ABSENT


def _rows(field, raw, path, complete):
    if not isinstance(raw, list):
        raise ValidationFailed("应为列表", field=path)
    if len(raw) > field.max_rows:
        raise ValidationFailed(f"最多填写{field.max_rows}行", field=path)
    rows = []
    for i, row in enumerate(raw):
        row_path = f"{path}[{i}]"
        if not isinstance(row, dict):
            raise ValidationFailed("应为对象", field=row_path)
        for key in row:
            if field.column(key) is None:
                raise ValidationFailed("未知字段", field=f"{row_path}.{key}")
        out = {}
        for col in field.columns:
            value = parse(col, row.get(col.key), f"{row_path}.{col.key}", complete)
            if value is ABSENT:
                if complete and col.required:
                    raise ValidationFailed(f"请填写“{col.label}”", field=f"{row_path}.{col.key}")
                continue
            out[col.key] = value
        rows.append(out)
    if complete and len(rows) < field.min_rows:
        raise ValidationFailed(f"“{field.label}”至少填写{field.min_rows}行", field=path)
    return rows


_PARSERS = {"number": _number, "text": _text, "choice": _choice, "datetime": _datetime,
            "date": _date, "boolean": _boolean, "check": _check, "rows": _rows}


def to_json(field, value):
    """The stored (JSON) form of a parsed answer."""
    if field.type == "datetime":
        return value.isoformat()
    if field.type == "date":
        return value.isoformat()
    if field.type == "rows":
        return [{c.key: to_json(c, row[c.key]) for c in field.columns if c.key in row} for row in value]
    if field.type == "check":
        return dict(value)
    return value
