"""The registry's collections and the queries on them. Services call these, never pymongo directly."""
import re
import uuid

from pymongo.errors import DuplicateKeyError

from emss_common import paging
from emss_common.errors import Conflict, NotFound
from emss_common.outbox import carries_events
from emss_common.serial import to_document
from emss_common.store import Index, merge_indexes

INDEXES = merge_indexes({
    # Lists: the filter's equalities, then the sort (newest first, id the tiebreaker).
    "institutions": [Index([("id", 1)], unique=True), Index([("credit_code", 1)], unique=True),
                     Index([("status", 1), ("district", 1)]),
                     Index([("status", 1), ("published_at", -1), ("id", 1)]),      # public listing
                     Index([("district", 1), ("updated_at", -1), ("id", 1)])],     # a district's regulator
    "accounts": [Index([("id", 1)], unique=True), Index([("username", 1)], unique=True),
                 Index([("institution_id", 1)]), Index([("enterprise_id", 1)])],
    "sessions": [Index([("token_hash", 1)], unique=True), Index([("account_id", 1)]),
                 Index([("openid", 1)], sparse=True)],
    # Failed logins per (username, source); source "*" counts every source (domain/accounts.py).
    "login_failures": [Index([("username", 1), ("source", 1)], unique=True), Index([("last_failure", 1)])],
    # One WeChat user ↔ one account, both ways.
    "wechat_bindings": [Index([("openid", 1)], unique=True), Index([("account_id", 1)], unique=True)],
    "audit": [Index([("subject_type", 1), ("subject_id", 1), ("at", 1)])],
    "change_requests": [Index([("id", 1)], unique=True), Index([("institution_id", 1), ("status", 1)])],
    "enterprises": [Index([("id", 1)], unique=True), Index([("credit_code", 1)], unique=True),
                    Index([("district", 1), ("created_at", -1), ("id", 1)]),      # a district's directory
                    Index([("created_at", -1), ("id", 1)])],                      # the whole city's
    "outlets": [Index([("id", 1)], unique=True), Index([("enterprise_id", 1)])],
    "devices": [Index([("id", 1)], unique=True), Index([("outlet_id", 1)])],
    "device_versions": [Index([("device_id", 1), ("version", 1)], unique=True)],
}, carries_events(  # documents whose writes carry their events until they are in the outbox (outbox.py)
    "institutions", "enterprises", "outlets", "devices", "accounts", "change_requests", "wechat_bindings"))

UNIQUE_LABELS = {"credit_code": "统一社会信用代码", "username": "用户名"}


def new_id():
    return uuid.uuid4().hex


def insert(col, doc, unique_field=None):
    try:
        col.insert_one(to_document(doc))
    except DuplicateKeyError:
        label = UNIQUE_LABELS.get(unique_field, unique_field or "记录")
        raise Conflict(f"{label}已被登记", field=unique_field) from None
    return doc


def get(col, id_, what="记录"):
    doc = col.find_one({"id": id_}, {"_id": 0})
    if doc is None:
        raise NotFound(f"{what}不存在", field="id")
    return doc


def keyword_filter(keyword, fields):
    if not keyword:
        return {}
    pattern = re.escape(keyword.strip())
    return {"$or": [{f: {"$regex": pattern}} for f in fields]}


def page(col, query, q, sort):
    """One page of a list by cursor (q: its loaded after / before / size), never by skipping."""
    sort = list(sort) + [("id", 1)]  # a unique tiebreaker: equal keys must not shift between pages
    return paging.page(col, query, sort, q["size"], after=q.get("after"), before=q.get("before"))


class Audit:
    def __init__(self, db):
        self.col = db["audit"]

    def record(self, subject_type, subject_id, action, actor, at, **details):
        from emss_common.events import actor_ref
        entry = {"id": new_id(), "subject_type": subject_type, "subject_id": subject_id,
                 "action": action, "actor": actor_ref(actor), "at": at, **details}
        self.col.insert_one(to_document(entry))
        return entry

    def trail(self, subject_type, subject_id):
        return list(self.col.find({"subject_type": subject_type, "subject_id": subject_id},
                                  {"_id": 0}).sort([("at", 1)]))
