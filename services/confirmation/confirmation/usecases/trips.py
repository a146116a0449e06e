"""Enterprise confirmation of sampling trips (采样行程确认, seed 002)."""
from emss_common import paging
from emss_common.access import load_visible
from emss_common.errors import Forbidden, InvalidTransition
from emss_common.events import actor_ref
from emss_common.outbox import pending
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain import trips as rules
from ..domain.access import may_view, scope_query, within
from ..domain.records import Transition
from ..domain.trips import STATUS_LABELS, TripStatus
from ..schemas import TripConfirmSchema, TripQuerySchema
from ..storage import TRIP_ORDER
from . import acts
from .records import aware

FACT_KEYS = ("id", "number", "sampling_task_id", "task_title", "institution_id", "enterprise_id", "enterprise_name",
             "district", "self_monitoring", "leader", "samples", "flags")


def keep(ctx, event):
    """sampling_trip.departed (fieldrecords): the trip awaits the enterprise, unless it monitors itself."""
    f = event["data"]["trip"]
    status = rules.initial_status(f)
    departed_at = aware(f.get("departed_at")) or ctx.now
    trip = {k: f.get(k) for k in FACT_KEYS}
    trip.update(self_monitoring=bool(f.get("self_monitoring")), field_status=f.get("status"),
                arrived_at=aware(f.get("arrived_at")), departed_at=departed_at, status=status.value,
                confirmation=None, received_at=ctx.now, updated_at=ctx.now)
    leader = f.get("leader") or {}
    return acts.keep_copy(ctx, "trips", trip, "trip", Transition("depart", None, status.value),
                   {**acts.SYSTEM, **leader, "roles": ["field_staff"], "institution_id": f.get("institution_id")},
                   departed_at)


def fact(trip):
    out = to_wire({k: trip.get(k) for k in ("id", "number", "sampling_task_id", "institution_id", "enterprise_id",
                                            "enterprise_name", "district", "self_monitoring", "status")})
    out["status_label"] = STATUS_LABELS[trip["status"]]
    if trip.get("confirmation"):
        out["confirmation"] = to_wire(trip["confirmation"])
    return out


def view(trip):
    out = to_wire(trip)
    out["status_label"] = STATUS_LABELS[trip["status"]]
    out["awaiting_enterprise"] = trip["status"] == TripStatus.AWAITING.value
    out["detail_path"] = f"/api/v1/sampling-trips/{trip['id']}"
    out["signature_path"] = f"/api/v1/sampling-trips/{trip['id']}/signature"
    return out


def _load(ctx, actor, trip_id):
    return load_visible(ctx.db["trips"], trip_id, actor, may_view, "采样行程")


def get(ctx, actor, trip_id):
    trip = _load(ctx, actor, trip_id)
    return {**view(trip), "trail": acts.trail(ctx, trip_id), "acts": acts.acts_of(ctx, trip_id)}


def list_trips(ctx, actor, query=None):
    q = load(TripQuerySchema(), query or {})
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看采样行程")
    mongo = within(scope, {k: q[k] for k in ("status", "sampling_task_id", "enterprise_id") if q.get(k)})
    result = paging.page(ctx.db["trips"], mongo, TRIP_ORDER, q["size"], after=q["after"], before=q["before"],
                         newest=ctx.now)
    return {**result, "status_labels": STATUS_LABELS, "items": [view(t) for t in result["items"]]}


def confirm(ctx, actor, trip_id, payload):
    """The enterprise signs and confirms what the team sampled."""
    data = load(TripConfirmSchema(), payload)
    previous = acts.previous_result(ctx, actor, "trip_confirmation", data)
    if previous is not None:
        return previous
    trip = _load(ctx, actor, trip_id)
    t = rules.judge_trip_confirmation(actor, trip)
    files = acts.check_files(ctx, data)
    try:
        act = acts.record_act(ctx, actor, "trip_confirmation", data, files, "trip", [trip_id], note=data.get("note"))
    except acts.AlreadyDone as again:
        return again.result
    who = acts.by(actor)
    confirmation = {"act_id": act["id"], "at": ctx.now, "by": who, "note": data.get("note")}
    after = {**trip, "status": t.target, "confirmation": to_document(confirmation)}
    ev = ctx.events.new("sampling_trip.confirmed", trip_id,
                        {"trip": fact(after), "act": {"id": act["id"], "at": to_wire(ctx.now), "by": who}},
                        actor=actor_ref(actor.to_dict()))
    done = ctx.db["trips"].update_one({"id": trip_id, "status": t.source},
                                      pending({"$set": to_document({"status": t.target, "confirmation": confirmation,
                                                                    "updated_at": ctx.now})}, ev))
    if done.matched_count != 1:
        raise InvalidTransition("采样行程状态已变化，请刷新后重试", field="status")
    ctx.events.flush("trips", trip_id, ev)
    acts.transition_entry(ctx, "trip", trip_id, t, who, ctx.now, act=act)
    result = view(after)
    acts.finish_act(ctx, act, result)
    return result
