"""A regulator's decision on a change request, whichever kind of record it changes."""
from ..storage import get
from . import contracts, om_tasks

DECIDERS = {"contract": contracts.decide_change, "task": om_tasks.decide_change}


def decide(ctx, actor, change_request_id, payload):
    cr = get(ctx.db["change_requests"], change_request_id, "变更申请")
    return DECIDERS[cr["kind"]](ctx, actor, change_request_id, payload)
