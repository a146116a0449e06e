"""The one event envelope every EMSS service uses, and idempotent handling on the event id.

Envelope: id, type, version, occurred_at, source, subject, actor, data. Internal events travel on
nameko's per-service events exchange ("<source>.events", routing key = type).
"""
import uuid

from marshmallow import Schema, fields, validate

from .clock import utcnow

ENVELOPE_VERSION = 1


class ActorRefSchema(Schema):
    account_id = fields.String(allow_none=True)
    username = fields.String(allow_none=True)
    roles = fields.List(fields.String(), load_default=list)
    name = fields.String(allow_none=True)


class EnvelopeSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+(\.[a-z_]+)+$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.String(required=True)
    source = fields.String(required=True)
    subject = fields.String(required=True)
    actor = fields.Dict(allow_none=True)
    data = fields.Dict(required=True)


def actor_ref(actor):
    """The part of an actor worth recording: who, not their whole session."""
    if not actor:
        return {"account_id": None, "username": "system", "roles": ["system"]}
    return {
        "account_id": actor.get("account_id"),
        "username": actor.get("username"),
        "roles": list(actor.get("roles", [])),
        "name": actor.get("name"),
    }


def make_event(type_, source, subject, data, actor=None, version=1, occurred_at=None):
    event = {
        "id": str(uuid.uuid4()),
        "type": type_,
        "version": version,
        "occurred_at": (occurred_at or utcnow()).isoformat(),
        "source": source,
        "subject": str(subject),
        "actor": actor_ref(actor),
        "data": data,
    }
    return EnvelopeSchema().load(event)


class ProcessedEvents:
    """Remembers handled event ids in the consumer's own database (unique index on event_id)."""

    COLLECTION = "processed_events"

    def __init__(self, db):
        self.col = db[self.COLLECTION]

    def claim(self, event, handler):
        """True the first time (event id, handler) is seen; False for a redelivery."""
        from pymongo.errors import DuplicateKeyError
        try:
            self.col.insert_one({"event_id": event["id"], "handler": handler,
                                 "type": event.get("type"), "at": utcnow()})
            return True
        except DuplicateKeyError:
            return False

    def release(self, event, handler):
        """Forget a claim whose handling failed, so a redelivery is processed."""
        self.col.delete_one({"event_id": event["id"], "handler": handler})
