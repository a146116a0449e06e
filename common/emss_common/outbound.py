"""Messages that leave EMSS for the enforcement agency (执法系统).

One durable topic exchange (config EMSS_OUTBOUND_EXCHANGE, default "emss.enforcement"), routing
key = message type, persistent JSON messages, message id = event id, publisher confirms. A message
is written to the service's one `outbox` collection (channel "outbound", outbox.py) before it is
published; one the broker did not confirm (refused connection, nack, unroutable, confirm timeout)
stays there and the service's relay re-publishes it with the same id, so the agency de-duplicates
on the id (delivery is at-least-once: a confirm lost on the way means a second copy, same id).
Nothing accepted is lost.

The schema is versioned and documented for outsiders: docs/events/enforcement-v1.md,
docs/events/enforcement-v1.schema.json (1.0) and enforcement-v1.1.schema.json (1.1: the
suspected-violation leads and their follow-ups; additions only, every 1.0 message stays valid).
The marshmallow schemas below enforce it at publish time; a message carries the version of its
type (TYPE_VERSIONS).

The nameko glue (the `Outbound` dependency) is in nameko_deps.py; this module needs no container.
"""
import json
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from kombu import Connection, Exchange, Producer
from marshmallow import ValidationError, fields, validate

from . import metrics
from .errors import ValidationFailed
from .outbox import COLLECTION, INDEXES, OUTBOUND, Outbox, RelaySettings
from .schema import StrictSchema
from .vocabulary import SEVERITIES

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.0"  # the types of 1.0 keep it; a type added or extended later carries its own
DEFAULT_EXCHANGE = "emss.enforcement"
OUTBOX = COLLECTION  # the service's one outbox, channel "outbound" (outbox.py)
SYSTEM_ACTOR = {"account_id": None, "username": "system", "name": "系统", "roles": ["system"]}


# ----- configuration -----

@dataclass(frozen=True)
class OutboundSettings:
    amqp_uri: str
    exchange: str = DEFAULT_EXCHANGE
    relay_seconds: float = 15
    retry_after_seconds: float = 30       # first re-publish; doubles per failure up to the max
    max_backoff_seconds: float = 3600
    connect_timeout: float = 5
    confirm_timeout: float = 10
    keep_days: float = 7                  # confirmed messages kept this long for inspection
    claim_seconds: float = 60             # a relay's claim on a message expires after this
    mandatory: bool = True                # a message no queue is bound for counts as not delivered
    batch: int = 100
    public_url: str | None = None         # where the agency reaches EMSS's pages (evidence links)

    @classmethod
    def from_config(cls, config):
        """From a nameko config; EMSS_OUTBOUND_AMQP_URI lets the outbound exchange live on another
        broker or vhost than EMSS's own traffic (the agency need not see internal queues)."""
        def num(key, default):
            # The relay's settings are the one outbox's (EMSS_OUTBOX_*, outbox.RelaySettings) first.
            shared = key.replace("EMSS_OUTBOUND_", "EMSS_OUTBOX_")
            for name in (shared, key):
                if config.get(name) not in (None, ""):
                    return float(config[name])
            return float(default)
        mandatory = str(config.get("EMSS_OUTBOUND_MANDATORY", "1")).strip().lower()
        return cls(
            amqp_uri=config.get("EMSS_OUTBOUND_AMQP_URI") or config["AMQP_URI"],
            exchange=config.get("EMSS_OUTBOUND_EXCHANGE") or DEFAULT_EXCHANGE,
            relay_seconds=num("EMSS_OUTBOUND_RELAY_SECONDS", cls.relay_seconds),
            retry_after_seconds=num("EMSS_OUTBOUND_RETRY_AFTER_SECONDS", cls.retry_after_seconds),
            max_backoff_seconds=num("EMSS_OUTBOUND_MAX_BACKOFF_SECONDS", cls.max_backoff_seconds),
            connect_timeout=num("EMSS_OUTBOUND_CONNECT_TIMEOUT_SECONDS", cls.connect_timeout),
            confirm_timeout=num("EMSS_OUTBOUND_CONFIRM_TIMEOUT_SECONDS", cls.confirm_timeout),
            keep_days=num("EMSS_OUTBOUND_KEEP_DAYS", cls.keep_days),
            claim_seconds=num("EMSS_OUTBOUND_CLAIM_SECONDS", cls.claim_seconds),
            mandatory=mandatory not in ("0", "false", "no", "off"),
            batch=int(config.get("EMSS_OUTBOUND_BATCH", cls.batch)),
            public_url=(str(config.get("EMSS_PUBLIC_URL") or "").strip().rstrip("/") or None),
        )


# ----- the v1 schema (keep in step with docs/events/enforcement-v1.schema.json) -----

def utc_text(value):
    """A timestamp as outsiders get it: UTC, ISO 8601, milliseconds, "Z". A datetime without a
    zone is UTC (as stored documents come back); text must carry its offset."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if value.tzinfo is None:
            raise ValueError("no UTC offset")
    elif not isinstance(value, datetime):
        raise ValueError(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Timestamp(fields.Field):
    default_error_messages = {"invalid": "时间格式应为带时区的 ISO 8601"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime) or isinstance(value, str) and "T" in value:
            try:
                return utc_text(value)
            except ValueError:
                pass
        raise self.make_error("invalid")


class Day(fields.Field):
    default_error_messages = {"invalid": "日期格式应为 YYYY-MM-DD"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise self.make_error("invalid")


def _id(required=True):
    return fields.String(required=required, validate=validate.Length(min=1, max=100),
                         allow_none=not required, **({} if required else {"load_default": None}))


def _text(max_len=200):
    return fields.String(required=False, allow_none=True, load_default=None,
                         validate=validate.Length(max=max_len))


class PartySchema(StrictSchema):
    """An institution, enterprise or outlet: its EMSS id and its name at the time."""
    id = _id()
    name = _text()


class PersonSchema(StrictSchema):
    account_id = _id(required=False)
    staff_id = _id(required=False)
    name = _text(100)


class RecordRefSchema(StrictSchema):
    id = _id()
    number = _text(50)


class FormSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = _text()


class PeriodSchema(StrictSchema):
    start = Day(required=True)
    end = Day(required=True)


class IndicatorSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = _text()


class GradeSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = _text(50)


def _evidence():
    return fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True)


class _RecordFacts(StrictSchema):
    """What every record.* message says about the record."""
    record = fields.Nested(RecordRefSchema, required=True)
    form = fields.Nested(FormSchema, required=True)
    institution = fields.Nested(PartySchema, required=True)
    enterprise = fields.Nested(PartySchema, required=True)
    outlet = fields.Nested(PartySchema, required=True)
    district = _text(100)
    performed_on = Day(required=True)
    performed_at = Timestamp(required=False, allow_none=True, load_default=None)
    filer = fields.Nested(PersonSchema, required=True)


class RecordVoidedSchema(_RecordFacts):
    """record.voided — 运维记录被机构审核作废."""
    voided_by = fields.Nested(PersonSchema, required=True)
    voided_at = Timestamp(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RecordConfirmationOverdueSchema(_RecordFacts):
    """record.confirmation_overdue — 排污单位未在当日确认运维记录 (逾期未确认)."""
    day = Day(required=True)
    due_at = Timestamp(required=True)
    overdue_at = Timestamp(required=True)


class Moment(fields.Field):
    """When a piece of evidence happened: a timestamp (to UTC "Z") or, for a fact that is a day
    (a report's due date), the date."""
    default_error_messages = {"invalid": "应为带时区的 ISO 8601 时间或 YYYY-MM-DD 日期"}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if isinstance(value, datetime) or isinstance(value, str) and "T" in value:
                return utc_text(value)
            if isinstance(value, date) or isinstance(value, str) and len(value) == 10:
                return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            pass
        raise self.make_error("invalid")


class Scalar(fields.Field):
    """One of a finding's numbers: a number, a short text, true/false or null."""
    default_error_messages = {"invalid": "应为数字、文字、布尔值或空"}

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or isinstance(value, bool) or isinstance(value, str) and len(value) <= 200:
            return value
        if isinstance(value, (int, float)) and math.isfinite(value):
            return value
        raise self.make_error("invalid")


class CodeNameSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = _text()


class EvidenceSchema(StrictSchema):
    """One fact behind a lead: what it is, its EMSS id, its label and the page that shows it."""
    kind = fields.String(required=True, validate=validate.Length(min=1, max=30))
    id = _id()
    label = _text(200)
    at = Moment(required=False, allow_none=True, load_default=None)
    link = fields.String(required=False, allow_none=True, load_default=None, validate=[
        validate.Length(max=1000), validate.URL(relative=False, require_tld=False, schemes={"http", "https"})])


class ViolationSuspectedSchema(StrictSchema):
    """violation.suspected — 疑似违法线索 (1.1): a regulator marked a warning a suspected
    violation. The fields of the reserved 1.0 shape, and the warning it comes from."""
    institution = fields.Nested(PartySchema, required=True)
    enterprise = fields.Nested(PartySchema, required=False, allow_none=True, load_default=None)
    outlet = fields.Nested(PartySchema, required=False, allow_none=True, load_default=None)
    district = _text(100)
    period = fields.Nested(PeriodSchema, required=True)
    indicator = fields.Nested(IndicatorSchema, required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    evidence_record_ids = _evidence()
    detected_at = Timestamp(required=True)
    # 1.1
    warning_id = _id()
    rule = fields.Nested(CodeNameSchema, required=True)
    severity = fields.Nested(CodeNameSchema, required=False, allow_none=True, load_default=None)
    person = fields.Nested(PersonSchema, required=False, allow_none=True, load_default=None)
    numbers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)), values=Scalar(allow_none=True),
                          required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    marked_by = fields.Nested(PersonSchema, required=True)
    marked_at = Timestamp(required=True)


class _LeadFollowUpSchema(StrictSchema):
    """What became of a lead: the warning, the lead message it follows, who closed it and when."""
    warning_id = _id()
    lead_message_id = _id()
    rule = fields.Nested(CodeNameSchema, required=True)
    institution = fields.Nested(PartySchema, required=True)
    by = fields.Nested(PersonSchema, required=True)
    at = Timestamp(required=True)


class ViolationRectifiedSchema(_LeadFollowUpSchema):
    """violation.rectified — 疑似违法线索已整改销号 (1.1)."""
    outcome = fields.String(required=True, validate=validate.Equal("rectified"))
    reason = _text(500)
    order_id = _id(required=False)


class ViolationDismissedSchema(_LeadFollowUpSchema):
    """violation.dismissed — 疑似违法线索经核实排除 (1.1); the regulator's reason is required."""
    outcome = fields.String(required=True, validate=validate.Equal("dismissed"))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class IndicatorScoreSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = _text()
    score = fields.Float(required=True, allow_nan=False)
    evidence_record_ids = _evidence()


class CreditEvaluatedSchema(StrictSchema):
    """credit.evaluated — 运维机构信用评价结果 (reserved: published once credit evaluation exists)."""
    institution = fields.Nested(PartySchema, required=True)
    period = fields.Nested(PeriodSchema, required=True)
    score = fields.Float(required=True, allow_nan=False)
    grade = fields.Nested(GradeSchema, required=True)
    indicators = fields.List(fields.Nested(IndicatorScoreSchema), required=True)
    evidence_record_ids = _evidence()
    evaluated_at = Timestamp(required=True)


TYPES = {
    "record.voided": RecordVoidedSchema,
    "record.confirmation_overdue": RecordConfirmationOverdueSchema,
    "violation.suspected": ViolationSuspectedSchema,
    "credit.evaluated": CreditEvaluatedSchema,
    "violation.rectified": ViolationRectifiedSchema,
    "violation.dismissed": ViolationDismissedSchema,
}
# The schema version a message of each type carries (SCHEMA_VERSION unless named here).
TYPE_VERSIONS = {"violation.suspected": "1.1", "violation.rectified": "1.1", "violation.dismissed": "1.1"}
# The internal record events (source "confirmation") that leave as themselves.
RECORD_TYPES = ("record.voided", "record.confirmation_overdue")


def load_data(type_, data):
    """The data of a message of this type, checked and normalised (timestamps to UTC "Z");
    ValidationFailed names the field ("data.reason") and nothing is published."""
    schema = TYPES.get(type_)
    if schema is None:
        raise ValidationFailed(f"未知的对外消息类型：{type_}", field="type")
    if not isinstance(data, dict):
        raise ValidationFailed("应为对象", field="data")
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise ValidationFailed.from_marshmallow(exc.messages, prefix="data") from None


def outsider_actor(actor):
    """Who caused the message, as much as the agency needs: account, username, name, roles."""
    if not actor or actor.get("username") == "system" and not actor.get("account_id"):
        return dict(SYSTEM_ACTOR)
    return {"account_id": actor.get("account_id"), "username": actor.get("username"),
            "name": actor.get("name") or actor.get("username"), "roles": sorted(actor.get("roles") or [])}


def schema_version(type_):
    return TYPE_VERSIONS.get(type_, SCHEMA_VERSION)


def make_message(type_, source, subject, data, actor=None, id_=None, occurred_at=None):
    """The v1 envelope around checked data."""
    if not subject:
        raise ValidationFailed("必填项", field="subject")
    try:
        occurred = utc_text(occurred_at or datetime.now(timezone.utc))
    except ValueError:
        raise ValidationFailed("时间格式应为带时区的 ISO 8601", field="occurred_at") from None
    return {
        "schema_version": schema_version(type_),
        "id": str(id_ or uuid.uuid4()),
        "type": type_,
        "occurred_at": occurred,
        "source": f"emss.{source}",
        "subject": str(subject),
        "actor": outsider_actor(actor),
        "data": load_data(type_, data),
    }


def from_record_event(event):
    """The outbound message for an internal record.voided / record.confirmation_overdue event
    (confirmation's record fact), as keyword arguments of publish. Same id as the internal event,
    so forwarding a redelivered event publishes nothing new."""
    rec = event["data"]["record"]

    def party(prefix):
        return {"id": rec[f"{prefix}_id"], "name": rec.get(f"{prefix}_name")}

    def person(who):
        who = who or {}
        return {"account_id": who.get("account_id"), "staff_id": who.get("staff_id"),
                "name": who.get("name") or who.get("username")}

    data = {"record": {"id": rec["id"], "number": rec.get("number")},
            "form": {"kind": rec["form_kind"], "name": rec.get("form_name")},
            "institution": party("institution"), "enterprise": party("enterprise"), "outlet": party("outlet"),
            "district": rec.get("district"), "performed_on": rec.get("performed_on"),
            "performed_at": rec.get("performed_at"), "filer": person(rec.get("filer"))}
    if event["type"] == "record.voided":
        review = rec.get("review") or {}
        data.update(voided_by=person(review.get("by")), voided_at=review.get("at"),
                    reason=review.get("reason") or rec.get("reason"))
    elif event["type"] == "record.confirmation_overdue":
        data.update(day=rec.get("day"), due_at=rec.get("due_at"), overdue_at=rec.get("overdue_at"))
    else:
        raise ValidationFailed(f"不对外发送的事件类型：{event['type']}", field="type")
    return {"type_": event["type"], "subject": rec["id"], "data": data, "actor": event.get("actor"),
            "id_": event["id"], "occurred_at": event.get("occurred_at")}


# ----- credit's warnings to leads (violation.*) -----

# credit's internal event -> the message it becomes
LEAD_EVENTS = {"warning.suspected": "violation.suspected", "warning.rectified": "violation.rectified",
               "warning.dismissed": "violation.dismissed"}
# follow-up type -> (the warning action that closed the lead, the outcome it reports)
FOLLOW_UPS = {"violation.rectified": ("rectify", "rectified"), "violation.dismissed": ("dismiss", "dismissed")}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def utc_ms(value):
    """A time as an aware UTC datetime cut to the millisecond (what MongoDB keeps of it)."""
    moment = datetime.fromisoformat(utc_text(value)[:-1] + "+00:00")
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def lead_message_id(warning_id, at):
    """The id of the violation.suspected message of a warning marked at `at`: fixed by the mark,
    so forwarding it twice is a duplicate the agency recognises, not a second lead."""
    ms = (utc_ms(at) - _EPOCH) // timedelta(milliseconds=1)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emss:lead:{warning_id}:{ms}"))


def follow_up_message_id(warning_id, outcome):
    """A lead has at most one outcome: its id is made of the warning and the outcome."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emss:lead:{warning_id}:{outcome}"))


def _last_step(warning, action):
    steps = [s for s in warning.get("trail") or () if s.get("action") == action]
    return steps[-1] if steps else None


def warning_lead(warning):
    """The warning's lead {at, message_id, by}: as marked (warning.lead), else as its trail's
    `suspect` step says (the same time, so the same id); None when it was never marked suspected."""
    lead = warning.get("lead")
    if lead and lead.get("at"):
        return {**lead, "message_id": lead.get("message_id") or lead_message_id(warning["id"], lead["at"])}
    step = _last_step(warning, "suspect")
    if step is None or not step.get("at"):
        return None
    return {"at": step["at"], "message_id": lead_message_id(warning["id"], step["at"]), "by": step.get("by")}


def absolute_link(link, public_url):
    """An evidence page as the agency can open it: EMSS's public address + the page path."""
    if not link:
        return None
    if link.startswith(("http://", "https://")):
        return link
    return f"{public_url.rstrip('/')}/{link.lstrip('/')}" if public_url else None


def _person(who):
    """Someone named in a trail step or a lead: an actor dict, a username, or nobody (the system)."""
    if isinstance(who, str):
        return {"account_id": None, "staff_id": None, "name": who}
    who = who or {}
    if not who.get("account_id") and who.get("username") in (None, "system"):
        return {"account_id": None, "staff_id": None, "name": SYSTEM_ACTOR["name"]}
    return {"account_id": who.get("account_id"), "staff_id": who.get("staff_id"),
            "name": who.get("name") or who.get("username")}


def from_warning_event(event, public_url=None, names=None):
    """The outbound message for credit's internal warning.suspected / warning.rectified /
    warning.dismissed event (data.warning: the warning document), as keyword arguments of publish;
    None for the outcome of a warning that was never marked suspected (no lead to follow up).
    names: {institution|enterprise|outlet|person: name} known to the caller, where the warning
    carries no `<party>_name`.
    Ids are fixed by the warning (lead_message_id, follow_up_message_id), so a redelivered or
    re-emitted event publishes nothing new."""
    type_ = LEAD_EVENTS.get(event.get("type"))
    if type_ is None:
        raise ValidationFailed(f"不对外发送的事件类型：{event.get('type')}", field="type")
    warning = event["data"]["warning"]
    lead = warning_lead(warning)
    if lead is None:
        if type_ == "violation.suspected":
            raise ValidationFailed("预警没有标记疑似违法的记录", field="data.warning.lead")
        return None
    names = names or {}

    def party(kind):
        ident = warning.get(f"{kind}_id")
        return {"id": ident, "name": warning.get(f"{kind}_name") or names.get(kind)} if ident else None

    rule = {"code": warning.get("rule"), "name": warning.get("rule_name") or warning.get("rule")}
    common = {"rule": rule, "institution": party("institution")}
    subject = warning.get("institution_id") or warning["id"]
    if type_ == "violation.suspected":
        evidence = [dict(e) for e in warning.get("evidence") or ()]
        person_id = warning.get("person_id")
        data = {**common,
                "enterprise": party("enterprise"), "outlet": party("outlet"), "district": warning.get("district"),
                "period": {"start": warning.get("period_start"), "end": warning.get("period_end")},
                "indicator": rule, "description": warning.get("summary"),
                "evidence_record_ids": [e["id"] for e in evidence if e.get("kind") == "record"],
                "detected_at": warning.get("raised_at") or lead["at"],
                "warning_id": warning["id"],
                "severity": ({"code": warning["severity"], "name": SEVERITIES.get(warning["severity"])}
                             if warning.get("severity") else None),
                "person": {"account_id": None, "staff_id": person_id,
                           "name": warning.get("person_name") or names.get("person")} if person_id else None,
                "numbers": warning.get("numbers") or {},
                "evidence": [{"kind": e.get("kind"), "id": e.get("id"), "label": e.get("label"), "at": e.get("at"),
                              "link": absolute_link(e.get("link"), public_url)} for e in evidence],
                "marked_by": _person(lead.get("by")), "marked_at": lead["at"]}
        return {"type_": type_, "subject": subject, "data": data, "actor": event.get("actor"),
                "id_": lead["message_id"], "occurred_at": lead["at"]}
    action, outcome = FOLLOW_UPS[type_]
    step = _last_step(warning, action) or {}
    at = step.get("at") or event.get("occurred_at")
    data = {**common, "warning_id": warning["id"], "lead_message_id": lead["message_id"], "outcome": outcome,
            "reason": step.get("reason"), "by": _person(step.get("by") or event.get("actor")), "at": at}
    if outcome == "rectified":
        data["order_id"] = step.get("order_id")
    return {"type_": type_, "subject": subject, "data": data, "actor": event.get("actor"),
            "id_": follow_up_message_id(warning["id"], outcome), "occurred_at": at}

# ----- the wire -----

class Unroutable(Exception):
    """The broker confirmed the message but no queue was bound for its routing key."""


class BrokerUnavailable(ConnectionError):
    """The broker failed a moment ago: callers are not kept waiting, the relay will send it."""


class ConfirmedPublisher:
    """One connection to the outbound broker, publishing with confirms, one message at a time.

    The connection is reused; after any failure it is dropped without a closing handshake (the
    socket may be dead) and the next send opens a new one. After a connection failure or timeout,
    sends fail at once for retry_after_seconds (unless probing), so a burst of messages does not
    wait out one timeout each while the broker is unreachable.
    """

    def __init__(self, settings):
        self.settings = settings
        self.exchange = Exchange(settings.exchange, type="topic", durable=True, auto_delete=False)
        self._lock = threading.Lock()  # green under eventlet: one publish at a time on the channel
        self._conn = self._producer = None
        self._returned = []
        self._suspended_until = 0.0

    def _open(self):
        conn = Connection(self.settings.amqp_uri, connect_timeout=self.settings.connect_timeout,
                          transport_options={"confirm_publish": True})
        try:
            conn.connect()
            channel = conn.channel()
            channel.events["basic_return"].add(self._on_return)
            self.exchange(channel).declare()
        except Exception:
            conn.collect()
            raise
        self._conn, self._producer = conn, Producer(channel, exchange=self.exchange)

    def _on_return(self, exc, exchange, routing_key, message):
        # Arrives before the confirm of the same message: remember it, judge after the confirm.
        self._returned.append(routing_key)

    def abort(self):
        """Drop the connection without a handshake (container kill)."""
        self._drop()

    def _drop(self):
        if self._conn is not None:
            try:
                self._conn.collect()
            except Exception:  # noqa: BLE001 - already broken
                pass
        self._conn = self._producer = None

    def close(self):
        """Graceful close (container stop)."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.release()
                except Exception:  # noqa: BLE001
                    pass
            self._conn = self._producer = None

    def send(self, message, probe=False):
        """Publish and wait for the broker's confirm; raises when it is not confirmed. A probe
        tries even while sends are suspended (the relay's first message of a round)."""
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if not probe and time.monotonic() < self._suspended_until:
                raise BrokerUnavailable("the outbound broker was unreachable a moment ago")
            try:
                self._send_once_more_if_stale(body, message)
            except Exception as exc:
                if failure_reason(exc) in ("connection", "timeout"):
                    self._suspended_until = time.monotonic() + self.settings.retry_after_seconds
                raise
            self._suspended_until = 0.0

    def _send_once_more_if_stale(self, body, message):
        reused = self._producer is not None
        try:
            self._send(body, message)
        except Exception as exc:
            # A kept connection may have died while idle (broker restart): one fresh try.
            if not reused or failure_reason(exc) != "connection":
                raise
            self._send(body, message)

    def _send(self, body, message):
        if self._producer is None:
            self._open()
        self._returned.clear()
        try:
            self._producer.publish(
                body, routing_key=message["type"], exchange=self.exchange,
                content_type="application/json", content_encoding="utf-8",
                delivery_mode=2, message_id=message["id"], type=message["type"], app_id="emss",
                timestamp=int(datetime.fromisoformat(message["occurred_at"][:-1] + "+00:00").timestamp()),
                headers={"schema_version": message["schema_version"]},
                mandatory=self.settings.mandatory, retry=False,
                confirm_timeout=self.settings.confirm_timeout)
        except Exception:
            self._drop()
            raise
        if self._returned:
            raise Unroutable(f"no queue bound for {message['type']} on {self.settings.exchange}")


def failure_reason(exc):
    """A short label for the failed-messages metric."""
    from amqp.exceptions import MessageNacked
    if isinstance(exc, Unroutable):
        return "unroutable"
    if isinstance(exc, MessageNacked):
        return "nacked"
    if isinstance(exc, TimeoutError) or type(exc).__name__ == "timeout":
        return "timeout"
    if isinstance(exc, (ConnectionError, OSError)) or "Connection" in type(exc).__name__:
        return "connection"
    return "error"


# ----- the outbox -----

def published_counter():
    return metrics.counter("emss_outbound_published_total",
                           "Messages to the enforcement agency confirmed by the broker", ["service", "type"])


def failed_counter():
    return metrics.counter("emss_outbound_failed_total",
                           "Publish attempts to the enforcement agency not confirmed (left in the outbox)",
                           ["service", "type", "reason"])


def backlog_gauge():
    return metrics.gauge("emss_outbound_backlog", "Messages to the enforcement agency not yet confirmed",
                         ["service"])


class OutboundOutbox:
    """Publishing through the service's one outbox (emss_common.outbox), channel "outbound"."""

    def __init__(self, db, clock, sender, settings, service, owner=None):
        self.db, self.clock, self.sender = db, clock, sender
        self.settings, self.service = settings, service
        self.outbox = outbox_for(db, clock, service, {OUTBOUND: sender}, settings, owner=owner)
        self.col = self.outbox.col

    def publish(self, type_, subject, data, actor=None, id_=None, occurred_at=None):
        """Accept a message: checked, stored, then published. Returns the message even when the
        broker did not confirm it (the relay will); ValidationFailed for bad data, nothing stored.
        Giving the id of an already accepted message returns that message and publishes nothing."""
        now = self.clock.now()
        message = make_message(type_, self.service, subject, data, actor, id_, occurred_at or now)
        row = self.outbox.add(OUTBOUND, message, actor=actor)
        if row is None:
            return self.col.find_one({"id": message["id"], "channel": OUTBOUND}, {"_id": 0})["message"]
        self.outbox.send(row, probe=False)
        return message

    def relay(self):
        """Re-publish what is due (same id), then forget confirmed messages older than keep_days.
        Returns how many were confirmed now."""
        return self.outbox.relay([OUTBOUND])

    def pending(self):
        return self.outbox.pending(OUTBOUND)


def outbound_sender(sender):
    """The outbox's send(row, probe) for the outbound channel."""
    return lambda row, probe: sender.send(row["message"], probe=probe)


def outbox_for(db, clock, service, senders, settings, owner=None, swept=()):
    """The service's Outbox with its channels' senders ({INTERNAL: dispatch(type, event),
    OUTBOUND: ConfirmedPublisher}) and the outbound channel's metrics."""
    def on_sent(row):
        if row["channel"] == OUTBOUND:
            published_counter().labels(service, row["type"]).inc()
        else:
            metrics.events_emitted().labels(service, row["type"]).inc()

    def on_failed(row, reason, exc):
        if row["channel"] == OUTBOUND:
            failed_counter().labels(service, row["type"], reason).inc()

    def on_measure(box, channels):
        if OUTBOUND in channels:
            backlog_gauge().labels(service).set(box.pending(OUTBOUND))

    wired = {}
    for channel, send in senders.items():
        if channel == OUTBOUND:
            wired[channel] = outbound_sender(send)
        else:
            wired[channel] = lambda row, probe, d=send: d(row["type"], row["message"])
    return Outbox(db, clock, service, wired, RelaySettings(
        retry_after_seconds=settings.retry_after_seconds, max_backoff_seconds=settings.max_backoff_seconds,
        claim_seconds=settings.claim_seconds, keep_days=settings.keep_days, batch=settings.batch),
        owner=owner, classify=failure_reason, on_sent=on_sent, on_failed=on_failed, on_measure=on_measure,
        swept=swept)
