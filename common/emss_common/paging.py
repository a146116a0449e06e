"""Keyset paging: a list is read a page at a time from where the previous page ended (the sort key
of its last row, carried in an opaque cursor), never by skipping the rows before it, so a page
costs the same after a year of data as on the first day.

    page(col, {"district": d, "status": "submitted"}, [("performed_at", -1), ("id", 1)], 50,
         after=q["after"], before=q["before"])
    → {"items", "size", "next", "prev", "total", "total_capped"}

The sort must end in a unique field (the tiebreaker) and its fields must be set on every row.
`after` reads the rows following a cursor (下一页), `before` those preceding it (上一页). The total
is counted up to TOTAL_LIMIT only ("200+ 条"), so it does not grow with the data either: counting
costs a read per row counted (about 0.05 ms each on SecantusDB).

"After the cursor" is run as one query per sort key, not as the usual `$or` of "greater, or equal
with a greater tiebreaker": each is the filter's equalities plus equalities and one range on sort
keys, the shape a compound index (filter fields, then sort fields) serves on MongoDB and on
SecantusDB, whose planner scans the whole collection for any top-level `$or` / `$and`.
"""
import base64
import binascii
import hashlib
import json
import operator
import re
from datetime import date, datetime, timedelta, timezone

from marshmallow import fields, validate

from .errors import ValidationFailed
from .schema import StrictSchema

TOTAL_LIMIT = 200
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_CURSOR_LENGTH = 1024
BAD_CURSOR = "翻页位置无效，请从第一页重新查看"

_COMPARE = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le,
            "$eq": operator.eq}


def cursor_field():
    """The `after` / `before` parameter of a list query (opaque; checked when decoded)."""
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=MAX_CURSOR_LENGTH, error=BAD_CURSOR))


class KeysetQuerySchema(StrictSchema):
    """Base of a list query paged by cursor; each list sets its own `size` range."""
    after = cursor_field()
    before = cursor_field()


def page(col, filter, sort, size, after=None, before=None, projection=None, total_limit=TOTAL_LIMIT,
         newest=None):
    """One page of `col.find(filter)` in `sort` order, after or before a cursor (or the first page).
    total_limit=None leaves the total out (a caller that never shows it). `newest`: when the sort
    starts with a datetime (or an ISO day: give a date) no row is later than (the clock's now or
    today), rows are read in growing time windows back from it (see Windows)."""
    sort = [(f, int(d)) for f, d in sort]
    windows = None
    if newest is not None:
        windows = Windows(sort[0][0], newest, days=isinstance(newest, date) and not isinstance(newest, datetime))
    filter = strict_bounds(filter)
    if after and before:
        raise ValidationFailed("不能同时指定 after 和 before", field="before")
    projection = {"_id": 0} if projection is None else projection
    if before:
        rows, more = _read(col, filter, _reversed(sort), decode_cursor(before, sort, "before"), size, projection,
                           windows)
        if not more:  # back at the start: a full first page rather than a short one
            return page(col, filter, sort, size, projection=projection, total_limit=total_limit, newest=newest)
        rows.reverse()
        prev_cursor, next_cursor = cursor_of(rows[0], sort), cursor_of(rows[-1], sort)
    else:
        key = decode_cursor(after, sort, "after") if after else None
        rows, more = _read(col, filter, sort, key, size, projection, windows)
        next_cursor = cursor_of(rows[-1], sort) if more else None
        # After a cursor there are rows before this page (at least the cursor's row).
        prev_cursor = (cursor_of(rows[0], sort) if rows else after) if after else None
    out = {"items": rows, "size": size, "next": next_cursor, "prev": prev_cursor}
    if total_limit:
        if not after and not before and next_cursor is None:
            # The first page holds every row: it is the count.
            out.update(total=min(len(rows), total_limit), total_capped=len(rows) > total_limit)
        else:
            out.update(bounded_total(col, filter, total_limit, windows and windows.sized_for(rows, total_limit + 1)))
    return out


def bounded_total(col, filter, limit=TOTAL_LIMIT, windows=None):
    """{"total", "total_capped"}: the rows counted up to limit. Counted by reading ids up to the
    bound, newest window first when there are windows: SecantusDB reads every match of an index
    range before it applies a limit (and count_documents ignores its limit), so only a range
    narrowed to what is counted keeps the cost to the bound."""
    n = 0
    for part in (windows.split(filter, -1) if windows else [filter]):
        n += sum(1 for _ in col.find(strict_bounds(part), {"_id": 1}).limit(limit + 1 - n))
        if n > limit:
            break
    return {"total": min(n, limit), "total_capped": n > limit}


def queries(filter, sort, key=None):
    """The filters `page` runs, in order, for the rows after `key` (sort-key values) or from the
    start; each is run with `.sort(sort).limit(...)` until the page is full."""
    sort = [(f, int(d)) for f, d in sort]
    if key is None:
        return [dict(filter)]
    out = []
    for i in reversed(range(len(sort))):
        q = dict(filter)
        possible = all(_narrow(q, f, "$eq", v) for (f, _), v in zip(sort[:i], key[:i]))
        field, direction = sort[i]
        if possible and _narrow(q, field, "$gt" if direction == 1 else "$lt", key[i]):
            out.append(q)
    return out


def _read(col, filter, sort, key, size, projection, windows=None):
    want, rows = size + 1, []
    for q in queries(filter, sort, key):
        for part in (windows.split(q, sort[0][1]) if windows else [q]):
            rows.extend(col.find(strict_bounds(part), projection).sort(sort).limit(want - len(rows)))
            if len(rows) >= want:
                return rows[:size], True
    return rows[:size], len(rows) > size


class Windows:
    """A query on a time-sorted list as a run of queries on growing windows of that time (an hour,
    then two, four … back from the newest, or forward from a cursor), each with both bounds.

    An engine that sorts in memory once a filter is given (SecantusDB 0.7.0b3 does, MongoDB walks
    the compound index instead) then sorts one window's rows, not every row the filter holds: a
    page costs about what its rows cost, after a year as on the first day. Each window is twice
    the last; past SPAN one last window takes the rest."""

    SPAN = timedelta(days=366 * 30)

    def __init__(self, field, newest, days=False, first=None):
        """days: the field holds ISO dates (the Shanghai day, e.g. "2026-11-23"), not datetimes.
        first: the first window (an hour, or a day, unless given)."""
        self.field, self.days = field, days
        if days:
            self.first, self.newest = timedelta(days=1), newest
        else:
            newest = newest if newest.tzinfo else newest.replace(tzinfo=timezone.utc)
            self.first, self.newest = timedelta(hours=1), newest
        if first is not None:
            self.first = max(self.first, timedelta(days=-(-first // timedelta(days=1))) if days else first)

    def sized_for(self, rows, want):
        """These windows with the first one sized to hold about `want` rows at the density of `rows`
        (a page just read, in sort order), so counting a sparse list takes a query or two rather
        than one per doubling from an hour. Too small a guess only costs the doublings after it."""
        times = [t for t in (self._in(_get(r, self.field)) for r in rows) if t is not None]
        if len(times) < 2 or times[0] == times[-1]:
            return self
        step = abs(times[0] - times[-1]) * want / (len(times) - 1)
        return Windows(self.field, self.newest, self.days, first=min(step, self.SPAN))

    def _in(self, value):
        if self.days:
            return date.fromisoformat(value) if isinstance(value, str) else None
        return value if isinstance(value, datetime) else None

    def _out(self, value):
        return value.isoformat() if self.days else value

    def split(self, q, direction):
        cond = q.get(self.field)
        if cond is not None and not _is_operators(cond):
            yield q    # pinned by an equality: one query
            return
        cond = {op: self._in(v) for op, v in (cond or {}).items()}
        if set(cond) - {"$gt", "$gte", "$lt", "$lte"} or None in cond.values():
            yield q
            return
        # None: no bound on that side. The first and the last window are open on their outer side,
        # so a row newer than `newest` (another clock) or older than SPAN is still read.
        lo = max([cond[o] for o in ("$gt", "$gte") if o in cond], default=None)
        hi = min([cond[o] for o in ("$lt", "$lte") if o in cond], default=None)
        lo_open, hi_open = "$gt" in cond, "$lt" in cond
        if lo is not None and hi is not None and (lo > hi or (lo == hi and (lo_open or hi_open))):
            return
        step = self.first
        # Consecutive windows share an edge that exactly one of them holds: none missed, none twice.
        if direction < 0:    # newest first: (edge, hi], the last one down to lo as given
            top, floor = (hi if hi is not None else self.newest), (lo if lo is not None else self.newest - self.SPAN)
            while True:
                edge = top - step
                if edge <= floor:
                    yield self._within(q, lo, lo_open, hi, hi_open)
                    return
                yield self._within(q, edge, True, hi, hi_open)
                top, hi, hi_open, step = edge, edge, False, step * 2
        else:                # oldest first: [lo, edge), the last one up to hi as given
            end = hi if hi is not None else self.newest
            start = lo if lo is not None else self.newest - self.SPAN
            while True:
                edge = start + step
                if edge >= end:
                    yield self._within(q, lo, lo_open, hi, hi_open)
                    return
                yield self._within(q, lo, lo_open, edge, True)
                start, lo, lo_open, step = edge, edge, False, step * 2

    def _within(self, q, lo, lo_open, hi, hi_open):
        """q with the field between lo and hi (None: unbounded on that side)."""
        cond = {}
        if lo is not None:
            cond["$gt" if lo_open else "$gte"] = self._out(lo)
        if hi is not None:
            cond["$lt" if hi_open else "$lte"] = self._out(hi)
        out = {k: v for k, v in q.items() if k != self.field}
        if cond:
            out[self.field] = cond
        return out


def strict_bounds(filter):
    """The filter with inclusive bounds on datetimes, integers and ISO days made strict ($gte t →
    $gt t-1ms, the same rows at BSON's millisecond precision; $lte "2026-11-23" → $lt "2026-11-24",
    the same rows where the field holds days). SecantusDB 0.7.0b3 drops the rows equal to an
    inclusive bound when the field is followed by others in the compound index it scans (the upper
    bound in index order: $lte on an ascending key, $gte on a descending one)."""
    out = dict(filter)
    for field, cond in filter.items():
        if not _is_operators(cond) or not ({"$gte", "$lte"} & set(cond)):
            continue
        ops = dict(cond)
        for inclusive, strict, sign in (("$gte", "$gt", -1), ("$lte", "$lt", 1)):
            bound = ops.get(inclusive)
            if isinstance(bound, datetime):
                step = timedelta(milliseconds=1)
            elif isinstance(bound, int) and not isinstance(bound, bool):
                step = 1
            elif isinstance(bound, str) and ISO_DAY.fullmatch(bound):
                step = timedelta(days=1)
            else:
                continue
            if strict in ops:  # both given: keep the two, the store intersects them
                continue
            if isinstance(bound, datetime):
                bound = bound.replace(microsecond=bound.microsecond // 1000 * 1000)
            del ops[inclusive]
            if isinstance(bound, str):
                ops[strict] = (date.fromisoformat(bound) + sign * step).isoformat()
            else:
                ops[strict] = bound + sign * step
        out[field] = ops
    return out


def _reversed(sort):
    return [(f, -d) for f, d in sort]


def _narrow(q, field, op, value):
    """AND `field op value` into the filter q in place, keeping it flat where the field already has
    a condition; False when the two can never both hold (that query is skipped)."""
    if value is None:  # null sorts first: nothing is below it, everything else is above it
        if op == "$lt":
            return False
        cond = None if op == "$eq" else {"$ne": None}
        return _and(q, field, cond)
    if field not in q:
        q[field] = value if op == "$eq" else {op: value}
        return True
    existing = q[field]
    try:
        if not isinstance(existing, (str, int, float, datetime, date)) and not _is_operators(existing):
            return _and(q, field, value if op == "$eq" else {op: value})  # a regex, a document...
        if not _is_operators(existing):  # an equality already pins the field
            return existing == value if op == "$eq" else _COMPARE[op](existing, value)
        if not set(existing) <= set(_COMPARE):
            return _and(q, field, value if op == "$eq" else {op: value})
        if op == "$eq":
            if not all(_COMPARE[o](value, bound) for o, bound in existing.items()):
                return False
            q[field] = value
            return True
        q[field] = _tighten(existing, op, value)
        return True
    except TypeError:  # values of different types: let the store compare them
        return _and(q, field, value if op == "$eq" else {op: value})


def _tighten(ops, op, value):
    """Range operators with `op value` added, the tighter bound on each side kept."""
    out = dict(ops)
    same_side = ("$lt", "$lte") if op == "$lt" else ("$gt", "$gte")
    for o in same_side:
        if o in out:
            bound = out[o]
            if _COMPARE[o](value, bound) or (o == same_side[0] and value == bound):
                del out[o]   # the new strict bound is at least as tight
            else:
                return out   # the existing bound is tighter
    out[op] = value
    return out


def _and(q, field, cond):
    if field not in q:
        q[field] = cond
    else:
        q["$and"] = list(q.get("$and", [])) + [{field: cond}]
    return True


def _is_operators(value):
    return isinstance(value, dict) and bool(value) and all(str(k).startswith("$") for k in value)


# ----- cursors -----

def cursor_of(row, sort):
    return encode_cursor([_get(row, f) for f, _ in sort], sort)


def encode_cursor(values, sort):
    body = {"s": _signature(sort), "k": [_encode(v) for v in values]}
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text, sort, field="after"):
    """The sort-key values a cursor carries; ValidationFailed naming `field` when it is not one of
    this list's cursors. A made-up cursor only moves within the filter: the filter always holds."""
    sort = [(f, int(d)) for f, d in sort]
    try:
        if not isinstance(text, str) or len(text) > MAX_CURSOR_LENGTH:
            raise ValueError
        body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
        if not isinstance(body, dict) or body.get("s") != _signature(sort):
            raise ValueError
        values = body.get("k")
        if not isinstance(values, list) or len(values) != len(sort):
            raise ValueError
        return [_decode(v) for v in values]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(BAD_CURSOR, field=field) from None


def _signature(sort):
    """Ties a cursor to the sort it was made for: another list's cursor is refused."""
    return hashlib.sha1(json.dumps([[f, d] for f, d in sort]).encode()).hexdigest()[:8]


def _encode(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:  # the store's datetimes are UTC
            value = value.replace(tzinfo=timezone.utc)
        return {"t": value.astimezone(timezone.utc).isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"a sort key of type {type(value).__name__} cannot go in a cursor")


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"t"} and isinstance(value["t"], str):
            at = datetime.fromisoformat(value["t"])
            if at.tzinfo is None:
                raise ValueError
            return at.astimezone(timezone.utc)
        if set(value) == {"d"} and isinstance(value["d"], str):
            return date.fromisoformat(value["d"])
        raise ValueError
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise ValueError


def _get(row, path):
    value = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
