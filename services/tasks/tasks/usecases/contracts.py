"""Contracts (合同管理): create, save, submit; afterwards only reviewed change requests."""
from emss_common.access import load_editable, load_visible
from emss_common.errors import Forbidden
from emss_common.outbox import pending
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain import contracts as rules
from ..domain.access import may_edit, may_view, scope_query
from emss_common.schema import DecisionSchema

from ..schemas import ContractSchema, ContractChangeSchema, ContractQuerySchema
from ..storage import audit, insert, new_id
from . import changes, replica


def _load(ctx, actor, contract_id):
    return load_visible(ctx.db["contracts"], contract_id, actor, may_view, "合同")


def _editable(ctx, actor, contract_id):
    return load_editable(ctx.db["contracts"], contract_id, actor, may_view, may_edit, "合同",
                         "只有本机构主账户可以修改合同")


def view(contract):
    out = to_wire(contract)
    out.pop("_event_at", None)
    out["nature_label"] = rules.NATURES[contract["nature"]]
    out["status_label"] = rules.CONTRACT_STATUS_LABELS[contract["status"]]
    return out


def _terms(ctx, actor, payload):
    data = load(ContractSchema(), payload)
    rules.check_terms(data)
    ent = replica.enterprise(ctx, data["enterprise_id"])
    inst = replica.institution(ctx, actor.institution_id)
    if inst.get("self_operating"):
        raise Forbidden("自运维排污单位无需签订运维合同")
    return data, ent, inst


def create(ctx, actor, payload):
    if not actor.has("institution_admin"):
        raise Forbidden("只有机构主账户可以登记合同")
    data, ent, inst = _terms(ctx, actor, payload)
    contract = {"id": new_id(), **data, "institution_id": inst["id"], "institution_name": inst["name"],
                "enterprise_name": ent["name"], "district": ent.get("district"), "status": "draft",
                "version": 1, "created_at": ctx.now, "updated_at": ctx.now}
    insert(ctx.db["contracts"], contract)
    audit(ctx.db, contract["id"], "create", actor.to_dict(), ctx.now)
    return view(to_document(contract))


def update(ctx, actor, contract_id, payload):
    contract = _editable(ctx, actor, contract_id)
    rules.ensure_editable(contract)
    data, ent, _ = _terms(ctx, actor, payload)
    updates = to_document({**data, "enterprise_name": ent["name"], "district": ent.get("district"),
                           "updated_at": ctx.now})
    ctx.db["contracts"].update_one({"id": contract_id}, {"$set": updates})
    audit(ctx.db, contract_id, "update", actor.to_dict(), ctx.now,
          changes=rules.diff(to_wire({k: contract.get(k) for k in data}), to_wire(to_document(data))))
    return view({**contract, **updates})


def submit(ctx, actor, contract_id):
    contract = _editable(ctx, actor, contract_id)
    rules.ensure_submittable(contract)
    replica.ensure_may_take_tasks(replica.institution(ctx, contract["institution_id"]), ctx.today)
    contract = {**contract, "status": "submitted", "submitted_at": ctx.now}
    ev = ctx.events.new("contract.submitted", contract_id, {"contract": view(contract)}, actor=actor.to_dict())
    ctx.db["contracts"].update_one({"id": contract_id, "status": "draft"},
                                   pending({"$set": {"status": "submitted", "submitted_at": ctx.now}}, ev))
    ctx.events.flush("contracts", contract_id, ev)
    changes.save_version(ctx, "contract", contract, actor.to_dict())
    audit(ctx.db, contract_id, "submit", actor.to_dict(), ctx.now)
    return view(contract)


def request_change(ctx, actor, contract_id, payload):
    contract = _editable(ctx, actor, contract_id)
    rules.ensure_changeable(contract)
    data = load(ContractChangeSchema(), payload)
    terms = data["contract"]
    rules.check_terms(terms)
    if terms["enterprise_id"] != contract["enterprise_id"]:
        from emss_common.errors import ValidationFailed
        raise ValidationFailed("合同甲方不能变更，请另行登记合同", field="contract.enterprise_id")
    return changes.request_change(ctx, actor, "contract", contract, to_document(terms), data["reason"])


def decide_change(ctx, actor, cr_id, payload):
    data = load(DecisionSchema(), payload)

    def apply(cr, also):
        return view(changes.apply_new_version(ctx, actor, "contract", cr, lambda new: also(view(new))))
    return changes.decide(ctx, actor, cr_id, data["decision"], data.get("reason"), apply)


def get_contract(ctx, actor, contract_id):
    return view(_load(ctx, actor, contract_id))


def list_contracts(ctx, actor, query):
    q = load(ContractQuerySchema(), query or {})
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看合同")
    mongo = dict(scope)
    for key in ("enterprise_id", "institution_id", "status"):
        if q.get(key):
            if key in mongo and mongo[key] != q[key]:
                return []
            mongo[key] = q[key]
    if q.get("keyword"):
        import re
        mongo["title"] = {"$regex": re.escape(q["keyword"])}
    rows = ctx.db["contracts"].find(mongo, {"_id": 0}).sort([("created_at", -1), ("id", 1)]).limit(500)
    return [view(r) for r in rows]


def trail(ctx, actor, contract_id):
    _load(ctx, actor, contract_id)
    return changes.trail(ctx, "contract", contract_id)


def list_change_requests(ctx, actor, kind=None):
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看变更申请")
    mongo = dict(scope)
    if kind:
        mongo["kind"] = kind
    rows = ctx.db["change_requests"].find(mongo, {"_id": 0}).sort([("submitted_at", -1)]).limit(500)
    return [changes.view(r) for r in rows]
