"""Loading a record on behalf of an actor: someone else's record is "not found", never "forbidden",
so its existence is not confirmed; a visible record they may not change is "forbidden"."""
from .errors import Forbidden, NotFound


def load_visible(col, id_, actor, may_view, what="记录"):
    doc = col.find_one({"id": id_}, {"_id": 0})
    if doc is None or not may_view(actor, doc):
        raise NotFound(f"{what}不存在", field="id")
    return doc


def load_editable(col, id_, actor, may_view, may_edit, what="记录", refusal="无权修改"):
    doc = load_visible(col, id_, actor, may_view, what)
    if not may_edit(actor, doc):
        raise Forbidden(refusal)
    return doc


def party_may_view(actor, doc):
    """The parties to a document: its institution, its enterprise, regulators of its district,
    administrators."""
    from .actor import SYSADMIN, covers_district
    if actor.has(SYSADMIN) or covers_district(actor, doc.get("district")):
        return True
    if actor.institution_id and actor.institution_id == doc.get("institution_id"):
        return True
    return bool(actor.enterprise_id) and actor.enterprise_id == doc.get("enterprise_id")


def scope_query(actor):
    """The Mongo filter of what an actor may list; None when they may list nothing. A
    self-operating enterprise's account (institution and enterprise at once) sees both sides."""
    from .actor import REGULATOR, SYSADMIN, WHOLE_CITY
    if actor.has(SYSADMIN):
        return {}
    if actor.has(REGULATOR):
        return {} if actor.district == WHOLE_CITY else {"district": actor.district}
    sides = []
    if actor.institution_id:
        sides.append({"institution_id": actor.institution_id})
    if actor.enterprise_id:
        sides.append({"enterprise_id": actor.enterprise_id})
    if not sides:
        return None
    return sides[0] if len(sides) == 1 else {"$or": sides}


def within(scope, filters):
    """The actor's scope AND the query's filters: a filter on a scoped key narrows the scope,
    never replaces it."""
    if not scope:
        return dict(filters)
    if not filters:
        return dict(scope)
    # Flat when no key is constrained twice (or both agree): the same conjunction, in the shape a
    # compound index serves (SecantusDB's planner scans the collection for a top-level $and).
    if all(scope[k] == filters[k] for k in scope.keys() & filters.keys()):
        return {**scope, **filters}
    return {"$and": [scope, filters]}
