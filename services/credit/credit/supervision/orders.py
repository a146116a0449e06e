"""Rectification orders (整改单): a regulator orders an institution or an enterprise to put right the
problems that warnings and on-site inspections found, within a number of working days.

    issued ──answer──▶ answered ──accept──▶ accepted (销号, final)
                          │  ▲
                     return  answer
                          ▼  │
                        returned

Each item of an order is tied to the warnings (and inspections) behind it; the addressee answers
every item (text, files, links to new records); a return needs a reason. Every step is appended to
the order's trail with who, when and why; nothing is ever deleted. An order still waiting for its
addressee (issued or returned) after its deadline has passed becomes a finding itself
(ORDER_OVERDUE), once: an order answered in time and waiting for the regulator's review is not
the addressee's delay.
"""
from dataclasses import dataclass
from datetime import date

from emss_common.access import party_may_view
from emss_common.actor import ENTERPRISE_USER, INSTITUTION_ADMIN, REGULATOR, Actor, covers_district
from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from emss_common.vocabulary import ORDER_ACTIONS, ORDER_STATUSES
from emss_common.workdays import Deadline, working_deadline

from .findings import Evidence, Finding

ISSUED, ANSWERED, RETURNED, ACCEPTED = "issued", "answered", "returned", "accepted"
ADDRESSEE_KINDS = ("institution", "enterprise")

# action: (statuses it starts from, status it leads to)
TRANSITIONS = {
    "answer": ((ISSUED, RETURNED), ANSWERED),
    "return": ((ANSWERED,), RETURNED),
    "accept": ((ANSWERED,), ACCEPTED),
}
AWAITING_ADDRESSEE = (ISSUED, RETURNED)
OVERDUE_RULE = "ORDER_OVERDUE"


assert set(TRANSITIONS) | {"issue", "overdue"} == set(ORDER_ACTIONS)
assert {ISSUED, ANSWERED, RETURNED, ACCEPTED} == set(ORDER_STATUSES)


@dataclass(frozen=True)
class OrderPolicy:
    working_days: int = 10   # [D] EMSS_ORDER_WORKING_DAYS

    def due(self, issued_on: date) -> Deadline:
        """The last day to rectify: `working_days` official working days after the day of issue."""
        return working_deadline(issued_on, self.working_days)

    def is_overdue(self, order, today: date) -> bool:
        """Still waiting for its addressee after the last day to rectify has ended."""
        return order["status"] in AWAITING_ADDRESSEE and today > _as_date(order["due"])



def transition(status, action, reason=None):
    """The status `action` leads to from `status`, or InvalidTransition; a return needs a reason."""
    if action not in TRANSITIONS:
        raise InvalidTransition(f"未知的整改单操作：{action}", field="action")
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise InvalidTransition(f"整改单{ORDER_STATUSES.get(status, status)}，不能{ORDER_ACTIONS[action]}",
                                field="action")
    if action == "return" and not (reason or "").strip():
        raise ValidationFailed("退回必须填写原因", field="reason")
    return target


def trail_entry(action, by, at, status_from, status_to, reason=None, round_=None, **details):
    entry = {"action": action, "action_label": ORDER_ACTIONS[action], "by": by, "at": at,
             "from": status_from, "to": status_to, "reason": reason, "round": round_}
    entry.update({k: v for k, v in details.items() if v is not None})
    return entry


# ----- who may do what -----

def may_issue(actor: Actor, district):
    """Only a regulator whose jurisdiction covers the order's district issues it."""
    return actor.has(REGULATOR) and covers_district(actor, district)


def may_view(actor: Actor, order):
    """Regulators of its district (or the city), its addressee, administrators."""
    return party_may_view(actor, order)


def may_review(actor: Actor, order):
    return actor.has(REGULATOR) and covers_district(actor, order.get("district"))


def may_answer(actor: Actor, order):
    """The addressee: the institution's main account, or the enterprise."""
    if order["addressee"]["kind"] == "institution":
        return actor.has(INSTITUTION_ADMIN) and actor.institution_id == order["addressee"]["id"]
    return actor.has(ENTERPRISE_USER) and actor.enterprise_id == order["addressee"]["id"]


# ----- the content of a step -----

def order_district(actor: Actor, sources, requested=None):
    """The district of an order: that of the warnings and inspections behind it, which must all lie
    in one district the issuing regulator covers."""
    districts = {s.get("district") for s in sources}
    if requested:
        districts.add(requested)
    if actor.district and actor.district != "*":
        districts.add(actor.district)
    districts.discard(None)
    if len(districts) != 1:
        raise ValidationFailed("整改单涉及的预警和检查应属于同一辖区" if districts else "请选择辖区", field="district")
    district = districts.pop()
    if not may_issue(actor, district):
        raise Forbidden("只有辖区监管部门可以下发整改单")
    return district


def concerns(addressee, source):
    """Whether a warning or an inspection is about the addressee."""
    key = "institution_id" if addressee["kind"] == "institution" else "enterprise_id"
    return source.get(key) == addressee["id"]


def check_answers(order, answers):
    """Every item of the order answered exactly once; each answer needs text."""
    item_ids = [item["id"] for item in order["items"]]
    seen = set()
    for i, answer in enumerate(answers):
        if answer["item_id"] not in item_ids:
            raise ValidationFailed("整改项不属于该整改单", field=f"answers[{i}].item_id")
        if answer["item_id"] in seen:
            raise ValidationFailed("同一整改项只能回复一次", field=f"answers[{i}].item_id")
        seen.add(answer["item_id"])
    missing = [n for n, item_id in enumerate(item_ids) if item_id not in seen]
    if missing:
        raise ValidationFailed(f"第{missing[0] + 1}项整改项尚未回复", field="answers")


def overdue_finding(order, today: date, working_days):
    """ORDER_OVERDUE: the order itself, against its addressee, once (keyed by the order's id)."""
    addressee = order["addressee"]
    due = _as_date(order["due"])
    issued_on = _as_date(order["issued_on"])
    return Finding(
        rule=OVERDUE_RULE, key=order["id"],
        subject_kind=addressee["kind"], subject_id=addressee["id"],
        institution_id=order.get("institution_id"), enterprise_id=order.get("enterprise_id"),
        outlet_id=None, district=order.get("district"),
        period_start=issued_on.isoformat(), period_end=due.isoformat(),
        summary=(f"整改单{order['number']}逾期未整改：{issued_on.isoformat()}下发，限{working_days}个工作日内"
                 f"（{due.isoformat()}前）完成，{today.isoformat()}仍{ORDER_STATUSES[order['status']]}"),
        numbers={"working_days": working_days, "due": due.isoformat(), "found_on": today.isoformat(),
                 "items": len(order["items"])},
        evidence=(Evidence("order", order["id"], f"整改单{order['number']}", at=_iso(order.get("issued_at")),
                           link=f"/orders/{order['id']}"),),
    )


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
