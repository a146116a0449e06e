"""Confirmation of an O&M field record (seed 001 §2.3 and §3, seed 003 附件2):

    pending 待确认 ──(its day ends, Asia/Shanghai)──▶ overdue 逾期未确认
       │                                                 │
       └──────────── the enterprise confirms ────────────┴──▶ enterprise_confirmed 排污单位已确认
                                                                  │
                                     a reviewer confirms (确认) ───┼──▶ reviewed 审核确认
                                     a reviewer voids (作废) ──────┴──▶ voided 作废

Rules:
- Records are rolled up per enterprise per day. The day is the Shanghai date the record was
  submitted: seed 001 says the enterprise confirms "当天提交的运维记录", so a form started before
  midnight and submitted after it is confirmed on the day it arrived.
- Only the enterprise whose outlet the record is about confirms it, and only from that day's list.
  Whoever filed the record never confirms it (a self-operating enterprise's own staff).
- Late confirmation: a record still unconfirmed when its day is over becomes overdue, and that is
  announced. The enterprise may still confirm it afterwards (the work was done and the enterprise
  should be able to say so), but the record stays marked overdue and the confirmation is marked
  late, in the record, the trail and the event: the lateness is evidence for supervision and is
  never erased. A confirmation made after the deadline but before the sweep noticed it passes
  through overdue first, so every late record was announced overdue.
- Only records the enterprise has confirmed are reviewed ("表单经排污单位确认后才能由机构进行审核").
  The reviewer holds the reviewer role, belongs to the record's institution, and is never its filer:
  neither the same account nor the same filed person under another account. Void needs a reason.
- reviewed and voided are final: nothing is deleted, a voided record stays visible with its reason.
- In a batch each record is judged alone: refusals come back one by one with their reason while
  the others go through.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum

from emss_common.actor import ENTERPRISE_USER, REVIEWER, Actor
from emss_common.clock import SHANGHAI, to_shanghai
from emss_common.errors import Forbidden, InvalidTransition
from emss_common.vocabulary import RECORD_STATUSES, REVIEW_DECISIONS


class RecordStatus(str, Enum):
    PENDING = "pending"
    OVERDUE = "overdue"
    ENTERPRISE_CONFIRMED = "enterprise_confirmed"
    REVIEWED = "reviewed"
    VOIDED = "voided"


STATUS_LABELS = RECORD_STATUSES
AWAITING_ENTERPRISE = frozenset({RecordStatus.PENDING, RecordStatus.OVERDUE})
FINAL = frozenset({RecordStatus.REVIEWED, RecordStatus.VOIDED})


@dataclass(frozen=True)
class Step:
    action: str
    sources: frozenset
    target: RecordStatus
    label: str


SUBMIT = Step("submit", frozenset(), RecordStatus.PENDING, "提交")
MARK_OVERDUE = Step("mark_overdue", frozenset({RecordStatus.PENDING}), RecordStatus.OVERDUE, "逾期未确认")
ENTERPRISE_CONFIRM = Step("enterprise_confirm", AWAITING_ENTERPRISE, RecordStatus.ENTERPRISE_CONFIRMED,
                          "排污单位确认")
REVIEW_CONFIRM = Step("review_confirm", frozenset({RecordStatus.ENTERPRISE_CONFIRMED}), RecordStatus.REVIEWED,
                      "审核确认")
VOID = Step("void", frozenset({RecordStatus.ENTERPRISE_CONFIRMED}), RecordStatus.VOIDED, "作废")
STEPS = {s.action: s for s in (SUBMIT, MARK_OVERDUE, ENTERPRISE_CONFIRM, REVIEW_CONFIRM, VOID)}
ACTION_LABELS = {a: s.label for a, s in STEPS.items()}
DECISIONS = {"confirm": REVIEW_CONFIRM, "void": VOID}
DECISION_LABELS = REVIEW_DECISIONS


@dataclass(frozen=True)
class Transition:
    action: str
    source: str | None
    target: str

    @property
    def label(self):
        return ACTION_LABELS[self.action]


class RecordConfirmation:
    """The state machine of one record's confirmation."""

    def __init__(self, status):
        self.status = RecordStatus(status)

    def can(self, step: Step) -> bool:
        return self.status in step.sources

    def apply(self, step: Step) -> Transition:
        if not self.can(step):
            raise InvalidTransition(f"记录当前状态为“{STATUS_LABELS[self.status.value]}”，不能{step.label}",
                                    field="status")
        t = Transition(step.action, self.status.value, step.target.value)
        self.status = step.target
        return t


class Refusal(Exception):
    """Why one record of a request does not go through; the others are unaffected."""

    def __init__(self, field, message, code):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code

    def as_dict(self, record_id, record=None):
        return {"record_id": record_id, "number": (record or {}).get("number"), "field": self.field,
                "code": self.code, "message": self.message}


@dataclass(frozen=True)
class ConfirmationDeadline:
    """A record of day D is due by the end of D in Shanghai, plus a grace period ([D] 0 hours:
    seeds 000 and 003 say "当天")."""
    grace: timedelta = timedelta(0)

    def due_at(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI) + self.grace

    def has_passed(self, day: date, now: datetime) -> bool:
        return now >= self.due_at(day)

    def overdue_before(self, now: datetime) -> date:
        """Every day strictly before this one is past its deadline at `now`."""
        return to_shanghai(now - self.grace).date()


def confirmation_day(submitted_at: datetime) -> date:
    return to_shanghai(submitted_at).date()


def is_filer(actor: Actor, record: dict) -> bool:
    """The same account, or the same filed person (staff) behind another account."""
    filer = record.get("filer") or {}
    if actor.account_id and actor.account_id == filer.get("account_id"):
        return True
    return bool(actor.staff_id) and actor.staff_id == filer.get("staff_id")


def ensure_enterprise_user(actor: Actor):
    if not actor.has(ENTERPRISE_USER) or not actor.enterprise_id:
        raise Forbidden("只有排污单位可以确认运维记录")


def ensure_reviewer(actor: Actor):
    if not actor.has(REVIEWER) or not actor.institution_id:
        raise Forbidden("需要“运维审核”权限才能审核运维记录")


def not_ours():
    """Someone else's record and an unknown id get the same answer: existence is not confirmed."""
    return Refusal("record_id", "运维记录不存在或不属于本单位", "not_found")


def not_our_institution():
    return Refusal("record_id", "运维记录不存在或不属于本机构", "not_found")


def judge_enterprise_confirmation(actor: Actor, record: dict, day: date, now: datetime,
                                  deadline: ConfirmationDeadline):
    """The transitions confirming `record` from the list of `day` makes, or a Refusal."""
    if not actor.has(ENTERPRISE_USER) or actor.enterprise_id != record.get("enterprise_id"):
        raise not_ours()
    if record["day"] != day.isoformat():
        raise Refusal("day", f"该记录属于{record['day']}的确认列表，不在{day.isoformat()}的列表中", "other_day")
    if is_filer(actor, record):
        raise Refusal("filer", "填报人不能确认自己填报的运维记录", "own_record")
    machine = RecordConfirmation(record["status"])
    if not machine.can(ENTERPRISE_CONFIRM):
        raise Refusal("status", f"记录当前状态为“{STATUS_LABELS[record['status']]}”，无需再次确认",
                      "already_confirmed")
    out = []
    if machine.can(MARK_OVERDUE) and deadline.has_passed(day, now):
        out.append(machine.apply(MARK_OVERDUE))
    out.append(machine.apply(ENTERPRISE_CONFIRM))
    return out


def judge_review(actor: Actor, record: dict, decision: str):
    """The transition a reviewer's decision ("confirm" or "void") makes, or a Refusal."""
    if not actor.has(REVIEWER) or actor.institution_id != record.get("institution_id"):
        raise not_our_institution()
    if is_filer(actor, record):
        raise Refusal("filer", "填报人不能审核自己填报的运维记录（填报和审核不能为同一人）", "own_record")
    machine = RecordConfirmation(record["status"])
    status = machine.status
    if status in AWAITING_ENTERPRISE:
        raise Refusal("status", "排污单位尚未确认该记录，确认后才能审核", "not_confirmed")
    if status in FINAL:
        raise Refusal("status", f"该记录已{STATUS_LABELS[status.value]}，不能重复审核", "already_reviewed")
    return [machine.apply(DECISIONS[decision])]


def judge_each(record_ids, records, judge, missing):
    """Judge every requested record alone. `records` maps id → record (those the actor may see);
    `judge(record)` returns transitions or raises Refusal; `missing()` is the Refusal of an id
    not in `records`. Returns (passed, refused) where passed
    is [(record, transitions)] and refused [{record_id, number, field, code, message}]."""
    passed, refused, seen = [], [], set()
    for rid in record_ids:
        if rid in seen:
            continue
        seen.add(rid)
        record = records.get(rid)
        try:
            if record is None:
                raise missing()
            passed.append((record, judge(record)))
        except Refusal as refusal:  # a record the actor may not act on is not described
            refused.append(refusal.as_dict(rid, None if refusal.code == "not_found" else record))
    return passed, refused
