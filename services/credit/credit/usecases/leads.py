"""Leads to the enforcement agency (线索移交): a warning a regulator marked as a suspected
violation goes out as violation.suspected, and its outcome (整改销号 / 排除) as a follow-up.

The warnings use case calls `lead_mark` right after a `suspect` step; the service's handler of
credit's own warning.suspected / warning.rectified / warning.dismissed events calls
`to_enforcement` (the parties' names, `forward`, `note_outcome`). The message ids are fixed by
the warning (emss_common.outbound.lead_message_id / follow_up_message_id): a redelivered or
re-emitted event is a duplicate the agency recognises, never a second fact.
"""
from pymongo import ReturnDocument

from emss_common.errors import InvalidTransition, NotFound
from emss_common.events import actor_ref
from emss_common.outbound import LEAD_EVENTS, FOLLOW_UPS, from_warning_event, lead_message_id, utc_ms, warning_lead
from emss_common.outbox import scrub

WARNINGS = "warnings"
WARNING_EVENTS = tuple(LEAD_EVENTS)  # warning.suspected, warning.rectified, warning.dismissed
# Where credit keeps the registry's names (replica.REGISTRY_COLLECTIONS), when it keeps them.
_NAMED = {"institution": "institutions", "enterprise": "enterprises", "outlet": "outlets"}


def lead_mark(ctx, warning, actor):
    """Record on the warning that it went to the enforcement agency: lead = {at, message_id, by,
    outcome}. Once: a warning already marked keeps its first lead (returned unchanged).
    The time is the trail's `suspect` step when there is one, so the message id is the same
    whether the lead is forwarded before or after this mark is stored."""
    if warning.get("lead"):
        return warning
    lead = warning_lead(warning)
    if lead is None:
        if warning.get("status") != "suspected":
            raise InvalidTransition("只有标记为疑似违法的预警才能移交执法部门", field="action")
        at = utc_ms(ctx.now)
        lead = {"at": at, "message_id": lead_message_id(warning["id"], at), "by": _who(actor)}
    lead = {"at": utc_ms(lead["at"]), "message_id": lead["message_id"], "by": lead.get("by") or _who(actor),
            "outcome": None}
    stored = ctx.db[WARNINGS].find_one_and_update(
        {"id": warning["id"], "lead": None}, {"$set": {"lead": lead}},  # None also matches "no field"
        projection={"_id": 0}, return_document=ReturnDocument.AFTER)
    if stored is None:  # marked a moment ago by another worker: its lead stands
        stored = ctx.db[WARNINGS].find_one({"id": warning["id"]}, {"_id": 0})
    if stored is None:
        raise NotFound("预警不存在", field="warning_id")
    return scrub(stored)


def to_enforcement(ctx, outbound, event):
    """One of credit's warning events, for the agency: sent with the parties' names as credit knows
    them now, and its outcome noted on the lead. The message sent, or None."""
    message = forward(outbound, event, names=party_names(ctx, event["data"]["warning"]))
    note_outcome(ctx, message)
    return message


def forward(outbound, event, names=None):
    """Publish the message for one of credit's warning events through the Outbound provider;
    None when there is nothing to send (the outcome of a warning never marked suspected)."""
    kwargs = from_warning_event(event, public_url=getattr(outbound, "public_url", None), names=names)
    if kwargs is None:
        return None
    return outbound.publish(**kwargs)


def note_outcome(ctx, message):
    """After a follow-up was accepted for the agency, the warning's lead says how it ended and
    which message told the agency (shown beside the warning)."""
    if message is None or message["type"] not in FOLLOW_UPS:
        return
    data = message["data"]
    ctx.db[WARNINGS].update_one(
        {"id": data["warning_id"], "lead.message_id": data["lead_message_id"]},
        {"$set": {"lead.outcome": data["outcome"],
                  "lead.follow_up": {"message_id": message["id"], "at": utc_ms(message["occurred_at"])}}})


def _who(actor):
    if actor is not None and hasattr(actor, "to_dict"):
        actor = actor.to_dict()
    return actor_ref(actor)


def party_names(ctx, warning):
    """The parties' names from the registry copies credit keeps (a party whose copy has not
    arrived yet goes out with its id alone)."""
    names = {}
    for kind, collection in _NAMED.items():
        ident = warning.get(f"{kind}_id")
        doc = ctx.db[collection].find_one({"id": ident}, {"_id": 0, "name": 1}) if ident else None
        if doc and doc.get("name"):
            names[kind] = doc["name"]
    return names
