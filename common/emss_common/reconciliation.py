"""Reconciliation from a watermark: a service that keeps copies of another's facts (replica.py)
tops them up from the source's export, page by page, from where it last got to.

Events may be missed (a queue that did not exist yet, a message parked by the broker); the export
closes the gap. It must stay cheap with a year of data: the source serves facts ordered by the
time of their last change and id, on an index, from a cursor; the consumer keeps its cursor (the
watermark) in its own `watermarks` collection and re-reads only a short overlap behind it, so a
change committed a little after a later one was read is not skipped. It runs in a timer, never on
a request's path: a service starts at once and answers health while it catches up.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from .errors import ValidationFailed
from .paging import strict_bounds
from .store import Index

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000
# Behind the watermark, re-read this much: writes of other replicas (or a slow commit) may land
# with an earlier change time than what was already read. Re-keeping a copy changes nothing.
OVERLAP = timedelta(minutes=5)
WATERMARKS = "watermarks"


# ----- the source side -----

@dataclass(frozen=True)
class Export:
    """One collection a source exports: which documents are facts (query), the field that every
    change of a fact sets (key, a UTC datetime), how a fact travels (view, as its events carry it),
    and how far back a consumer without a watermark starts (None: from the beginning)."""
    collection: str
    view: Callable
    key: str = "updated_at"
    query: dict = field(default_factory=dict)
    start: timedelta | None = None

    @property
    def index(self):
        # The query's equalities first: an engine then reads only the facts after the watermark.
        pinned = [(f, 1) for f, v in self.query.items() if not isinstance(v, dict)]
        return Index([*pinned, (self.key, 1), ("id", 1)])


def indexes(exports):
    """The index each export's pages run on, for the source's INDEXES."""
    out = {}
    for spec in exports:
        out.setdefault(spec.collection, []).append(spec.index)
    return out


def export_page(db, exports, collection, after=None, limit=PAGE_SIZE, now=None):
    """One page of facts changed after the cursor `after` ({"at": ISO time, "id": ...}, or None for
    the export's start), oldest change first: {"items": [{"at", "fact"}], "next": cursor or None}."""
    spec = next((e for e in exports if e.collection == collection), None)
    if spec is None:
        raise ValidationFailed("不能导出该数据", field="collection")
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise ValidationFailed("每页数量须为整数", field="limit") from None
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"每页数量须在1到{MAX_PAGE_SIZE}之间", field="limit")
    if after is None:
        at, after_id = _start(spec, now), None
    else:
        at, after_id = _cursor(after)
    col, key = db[spec.collection], spec.key
    rows = []
    if after_id is not None:
        # The rest of the facts changed at exactly `at`, then those changed later: two range scans
        # of the one (key, id) index, so the plan never needs an $or or an in-memory sort.
        rows = list(col.find(strict_bounds({**spec.query, key: at, "id": {"$gt": after_id}}), _STORED_ONLY)
                    .sort([(key, 1), ("id", 1)]).limit(limit))
        later = {"$gt": at}
    else:
        later = {"$gte": at}
    if len(rows) < limit:
        rows += list(col.find(strict_bounds({**spec.query, key: later}), _STORED_ONLY)
                     .sort([(key, 1), ("id", 1)]).limit(limit - len(rows)))
    items = [{"at": _iso(r[key]), "fact": spec.view(r)} for r in rows]
    last = rows[-1] if rows else None
    nxt = {"at": _iso(last[key]), "id": last["id"]} if last is not None and len(rows) == limit else None
    return {"items": items, "next": nxt}


# Facts go out without Mongo's _id and without events still pending on them (outbox.py).
_STORED_ONLY = {"_id": 0, "_outbox": 0}


def _start(spec, now):
    if spec.start is None or now is None:
        return EPOCH
    return now.astimezone(timezone.utc) - spec.start


def _cursor(after):
    try:
        return parse_time(after["at"]), str(after["id"])
    except (TypeError, KeyError, ValueError):
        raise ValidationFailed("游标无效", field="after") from None


def parse_time(text):
    at = datetime.fromisoformat(str(text))
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _iso(at):
    if isinstance(at, datetime):
        at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        return at.astimezone(timezone.utc).isoformat()
    return str(at)


# ----- the consumer side -----

@dataclass
class Round:
    """What one reconciliation round did: pages read, facts seen, copies repaired (missing or
    older than the source's), and whether it stopped before catching up."""
    pages: int = 0
    seen: int = 0
    repaired: int = 0
    behind: bool = False


class Watermarks:
    """Per (source, collection): the cursor of the last fact read, and whether the round that read
    it stopped before the end (the next one then resumes exactly there, not OVERLAP before)."""

    def __init__(self, db):
        self.col = db[WATERMARKS]

    def get(self, source, collection):
        row = self.col.find_one({"_id": f"{source}.{collection}"})
        return None if row is None else {"at": row["at"], "id": row["id"], "behind": row.get("behind", False)}

    def put(self, source, collection, cursor, now, behind=False):
        self.col.update_one({"_id": f"{source}.{collection}"},
                            {"$set": {"at": cursor["at"], "id": cursor["id"], "behind": behind,
                                      "updated_at": now}},
                            upsert=True)


def resume_from(mark, overlap=OVERLAP):
    """Where the next round starts: a little before the watermark (see OVERLAP) when the last round
    reached the end; exactly at it when that round stopped early, so a backlog denser than a round
    inside the overlap still moves forward."""
    if mark is None:
        return None
    if mark.get("behind"):
        return {"at": mark["at"], "id": mark["id"]}
    return {"at": (parse_time(mark["at"]) - overlap).isoformat(), "id": ""}


def catch_up(marks, source, collection, fetch, keep, now, max_pages=500, overlap=OVERLAP):
    """Read pages from `fetch(after)` and `keep(fact, at)` each fact (True when it repaired the
    copy) until the source has no more, saving the watermark after every page so a crash resumes
    there. Stops after max_pages (behind=True); the next round goes on from the watermark."""
    done = Round()
    mark = marks.get(source, collection)
    after = resume_from(mark, overlap)
    stored_behind = bool(mark and mark.get("behind"))
    while True:
        page = fetch(after)
        done.pages += 1
        for item in page["items"]:
            done.seen += 1
            if keep(item["fact"], item["at"]):
                done.repaired += 1
        if page["items"]:
            last = page["next"] or {"at": page["items"][-1]["at"], "id": page["items"][-1]["fact"]["id"]}
            if mark is None or (parse_time(last["at"]), last["id"]) > (parse_time(mark["at"]), mark["id"]):
                mark = last
                stored_behind = page["next"] is not None
                marks.put(source, collection, mark, now, behind=stored_behind)
        if page["next"] is None:
            if stored_behind:
                marks.put(source, collection, mark, now)
            return done
        if done.pages >= max_pages:
            done.behind = True
            return done
        after = page["next"]
