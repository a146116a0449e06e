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
