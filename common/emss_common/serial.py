"""Converting between marshmallow-loaded values, stored documents and JSON on the wire.

Dates are stored as ISO text (pymongo cannot store datetime.date; ISO text sorts correctly),
datetimes as BSON dates in UTC.
"""
from datetime import date, datetime, timezone
from decimal import Decimal


def as_date(value):
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def to_document(value):
    if isinstance(value, dict):
        return {k: to_document(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_document(v) for v in value]
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


_STORAGE_ONLY = ("_id", "_outbox")


def to_wire(value):
    """A stored document as JSON-safe data, without Mongo's _id and the events pending on it
    (`_outbox`, outbox.py)."""
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items() if k not in _STORAGE_ONLY}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if type(value).__name__ == "ObjectId":
        return str(value)
    return value
