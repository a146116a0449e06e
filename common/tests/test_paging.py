"""Keyset paging on the real store: every row once, in order, ties and all; a cursor carries its
datetimes exactly; rows added meanwhile never repeat a row; a bad cursor names its parameter."""
from datetime import datetime, timedelta, timezone

import pytest

from emss_common.errors import ValidationFailed
from emss_common.paging import KeysetQuerySchema, decode_cursor, encode_cursor, page, queries
from emss_common.store import Index, ensure_indexes, open_database
from emss_common.validation import load
from tests.query_plans import assert_uses_index

AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
NEWEST_FIRST = [("submitted_at", -1), ("id", -1)]


@pytest.fixture
def col(store_config):
    db = open_database("registry", store_config)
    ensure_indexes(db, {"rows": [Index([("id", 1)], unique=True),
                                 Index([("group", 1), ("submitted_at", -1), ("id", -1)], name="group_newest")]})
    return db["rows"]


def add(col, n, group="g", at=AT, start=0):
    """n rows, three to a timestamp (ties the tiebreaker must order)."""
    docs = [{"id": f"r{start + i:04d}", "group": group, "submitted_at": at + timedelta(minutes=(start + i) // 3)}
            for i in range(n)]
    col.insert_many(docs)
    return docs


def walk(col, filter, sort, size, **kw):
    """Every page from the first, following `next`; returns the pages' ids."""
    pages, after = [], None
    while True:
        got = page(col, filter, sort, size, after=after, **kw)
        pages.append([r["id"] for r in got["items"]])
        after = got["next"]
        if after is None:
            return pages


def expected(docs, sort):
    rows = list(docs)
    for field, direction in reversed(sort):
        rows.sort(key=lambda d: d[field], reverse=direction == -1)
    return [d["id"] for d in rows]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 50])
def test_pages_cover_every_row_exactly_once_in_order_ties_included(col, size):
    docs = add(col, 20) + add(col, 5, group="other", start=100)
    pages = walk(col, {"group": "g"}, NEWEST_FIRST, size)
    flat = [i for p in pages for i in p]
    assert flat == expected(docs[:20], NEWEST_FIRST)
    assert all(len(p) == size for p in pages[:-1]) and 0 < len(pages[-1]) <= size


def test_a_mixed_direction_sort_and_a_range_on_the_sort_key_page_correctly(col):
    docs = add(col, 17)
    since = AT + timedelta(minutes=1)   # rows r0003.. on
    sort = [("submitted_at", -1), ("id", 1)]
    pages = walk(col, {"group": "g", "submitted_at": {"$gte": since, "$lt": AT + timedelta(minutes=5)}}, sort, 4)
    inside = [d for d in docs if since <= d["submitted_at"] < AT + timedelta(minutes=5)]
    assert [i for p in pages for i in p] == expected(inside, sort)


def test_prev_walks_back_through_the_same_pages(col):
    add(col, 11)
    forward, after, results = [], None, []
    while True:
        got = page(col, {"group": "g"}, NEWEST_FIRST, 3, after=after)
        results.append(got)
        forward.append([r["id"] for r in got["items"]])
        if not got["next"]:
            break
        after = got["next"]
    assert results[0]["prev"] is None and all(r["prev"] for r in results[1:])
    back, before = [], results[-1]["prev"]
    while before:
        got = page(col, {"group": "g"}, NEWEST_FIRST, 3, before=before)
        back.append([r["id"] for r in got["items"]])
        assert got["next"]
        before = got["prev"]
    assert list(reversed(back)) == forward[:-1]


def test_newest_first_with_rows_added_between_pages_repeats_none_and_skips_none(col):
    docs = add(col, 9)
    first = page(col, {"group": "g"}, NEWEST_FIRST, 4)
    # Newer rows arrive, one of them at the very timestamp the first page ended on.
    last = first["items"][-1]
    col.insert_many([{"id": "r9000", "group": "g", "submitted_at": AT + timedelta(hours=2)},
                     {"id": "r0000a", "group": "g", "submitted_at": last["submitted_at"]}])
    seen, after = [r["id"] for r in first["items"]], first["next"]
    while after:
        got = page(col, {"group": "g"}, NEWEST_FIRST, 4, after=after)
        seen += [r["id"] for r in got["items"]]
        after = got["next"]
    assert len(seen) == len(set(seen))
    assert set(expected(docs, NEWEST_FIRST)) <= set(seen)
    assert "r9000" not in seen   # newer than where the reader stood: the next first page shows it


def test_a_cursor_carries_datetimes_exactly_as_utc():
    at = datetime(2026, 11, 23, 10, 0, 0, 123000, tzinfo=timezone(timedelta(hours=8)))
    values = decode_cursor(encode_cursor([at, "x", 3, None], [("a", -1), ("b", 1), ("c", 1), ("d", 1)]),
                           [("a", -1), ("b", 1), ("c", 1), ("d", 1)])
    assert values == [at, "x", 3, None] and values[0].tzinfo == timezone.utc
    cursor = encode_cursor([at], [("a", -1)])
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor


def test_the_datetime_of_a_stored_row_round_trips_through_its_cursor(col):
    add(col, 3)
    got = page(col, {"group": "g"}, NEWEST_FIRST, 1)
    key = decode_cursor(got["next"], NEWEST_FIRST)
    assert key == [got["items"][0]["submitted_at"], got["items"][0]["id"]]


@pytest.mark.parametrize("bad", ["x", "!!!!", encode_cursor(["a"], [("id", 1)]),
                                 encode_cursor([AT, "r1", 1], NEWEST_FIRST + [("n", 1)]), "a" * 2000])
def test_a_bad_cursor_is_refused_naming_its_parameter(col, bad):
    with pytest.raises(ValidationFailed) as exc:
        page(col, {"group": "g"}, NEWEST_FIRST, 3, after=bad)
    assert exc.value.field == "after"
    with pytest.raises(ValidationFailed) as exc:
        page(col, {"group": "g"}, NEWEST_FIRST, 3, before=bad)
    assert exc.value.field == "before"


def test_after_and_before_together_are_refused(col):
    cursor = encode_cursor([AT, "r1"], NEWEST_FIRST)
    with pytest.raises(ValidationFailed) as exc:
        page(col, {}, NEWEST_FIRST, 3, after=cursor, before=cursor)
    assert exc.value.field == "before"


def test_a_query_schema_takes_after_and_before_and_refuses_page():
    class Query(KeysetQuerySchema):
        pass
    assert load(Query(), {}) == {"after": None, "before": None}
    with pytest.raises(ValidationFailed) as exc:
        load(Query(), {"page": 2})
    assert exc.value.field == "page"
    with pytest.raises(ValidationFailed) as exc:
        load(Query(), {"after": "a" * 5000})
    assert exc.value.field == "after"


def test_the_total_is_bounded(col):
    add(col, 12)
    got = page(col, {"group": "g"}, NEWEST_FIRST, 5, total_limit=10)
    assert got["total"] == 10 and got["total_capped"] is True
    got = page(col, {"group": "g"}, NEWEST_FIRST, 5, total_limit=20)
    assert got["total"] == 12 and got["total_capped"] is False
    assert "total" not in page(col, {"group": "g"}, NEWEST_FIRST, 5, total_limit=None)


def test_each_query_of_a_page_is_flat_and_runs_on_the_compound_index(col):
    """Equalities and one range on a sort key, no $or: what an index prefix serves."""
    add(col, 30)
    key = [AT + timedelta(minutes=4), "r0013"]
    qs = queries({"group": "g"}, NEWEST_FIRST, key)
    assert qs == [{"group": "g", "submitted_at": key[0], "id": {"$lt": "r0013"}},
                  {"group": "g", "submitted_at": {"$lt": key[0]}}]
    for q in [{"group": "g"}] + qs:
        assert_uses_index(col.find(q).sort(NEWEST_FIRST).limit(6), "group_newest", str(q))


def test_a_row_before_the_cursor_on_a_pinned_field_skips_that_query():
    # The filter pins submitted_at: only the tiebreaker query can have rows.
    assert queries({"submitted_at": AT}, NEWEST_FIRST, [AT, "r5"]) == [{"submitted_at": AT, "id": {"$lt": "r5"}}]
    # A range on the key is tightened, not doubled.
    assert queries({"submitted_at": {"$lt": AT}}, NEWEST_FIRST, [AT - timedelta(hours=1), "r5"])[1] == \
        {"submitted_at": {"$lt": AT - timedelta(hours=1)}}


def spread(col, hours, group="g"):
    """Rows hours apart (some ties), as a list gathers them over months."""
    docs = [{"id": f"w{i:04d}", "group": group, "submitted_at": AT - timedelta(hours=h)}
            for i, h in enumerate(hours)]
    col.insert_many(docs)
    return docs


HOURS = [0, 0, 1, 3, 3, 3, 7, 30, 31, 200, 201, 2000, 2000, 9000, 40000]


@pytest.mark.parametrize("size", [1, 2, 4, 6, 20])
def test_reading_in_time_windows_covers_every_row_once_in_order(col, size):
    docs = spread(col, HOURS)
    pages = walk(col, {"group": "g"}, NEWEST_FIRST, size, newest=AT)
    assert [i for p in pages for i in p] == expected(docs, NEWEST_FIRST)
    assert all(len(p) == size for p in pages[:-1])


def test_reading_back_in_time_windows_walks_the_same_pages(col):
    spread(col, HOURS)
    forward = []
    got = page(col, {"group": "g"}, NEWEST_FIRST, 4, newest=AT)
    while True:
        forward.append([r["id"] for r in got["items"]])
        if got["next"] is None:
            break
        got = page(col, {"group": "g"}, NEWEST_FIRST, 4, after=got["next"], newest=AT)
    back = [[r["id"] for r in got["items"]]]
    while got["prev"]:
        got = page(col, {"group": "g"}, NEWEST_FIRST, 4, before=got["prev"], newest=AT)
        back.append([r["id"] for r in got["items"]])
    assert back[::-1] == forward


def test_a_range_on_the_time_is_kept_inside_the_windows(col):
    docs = spread(col, HOURS)
    since = AT - timedelta(hours=200)   # inclusive: the row at exactly 200 hours is in
    pages = walk(col, {"group": "g", "submitted_at": {"$gte": since}}, NEWEST_FIRST, 3, newest=AT)
    assert [i for p in pages for i in p] == expected([d for d in docs if d["submitted_at"] >= since], NEWEST_FIRST)


def test_days_as_iso_text_are_read_in_windows_of_days(col):
    from datetime import date
    docs = [{"id": f"d{i:03d}", "group": "g", "day": (date(2026, 11, 23) - timedelta(days=k)).isoformat(),
             "submitted_at": AT} for i, k in enumerate([0, 0, 1, 2, 5, 40, 41, 400])]
    col.insert_many(docs)
    sort = [("day", -1), ("id", 1)]
    pages = walk(col, {"group": "g", "day": {"$lte": "2026-11-22"}}, sort, 2, newest=date(2026, 11, 24))
    assert [i for p in pages for i in p] == expected([d for d in docs if d["day"] <= "2026-11-22"], sort)


def test_rows_later_than_newest_or_older_than_the_span_are_still_listed(col):
    """Another service's clock may be ahead of this one's; nothing is too old to list."""
    docs = spread(col, [-3, -1, 0, 5, 24 * 366 * 31])   # three hours ahead … 31 years back
    pages = walk(col, {"group": "g"}, NEWEST_FIRST, 2, newest=AT)
    assert [i for p in pages for i in p] == expected(docs, NEWEST_FIRST)


class CountingFinds:
    """The collection, counting the queries a page sends."""

    def __init__(self, col):
        self.col, self.finds = col, 0

    def find(self, *args, **kwargs):
        self.finds += 1
        return self.col.find(*args, **kwargs)


def finds_of(col, *args, **kwargs):
    counting = CountingFinds(col)
    return page(counting, *args, **kwargs), counting.finds


def test_a_first_page_that_holds_every_row_is_its_own_total(col):
    spread(col, HOURS)
    got, finds = finds_of(col, {"group": "g"}, NEWEST_FIRST, 20, newest=AT)
    assert got["total"] == len(HOURS) and got["total_capped"] is False
    assert finds == finds_of(col, {"group": "g"}, NEWEST_FIRST, 20, newest=AT, total_limit=None)[1]


def test_a_sparse_list_is_counted_in_windows_sized_by_the_page_just_read(col):
    """Rows two days apart: counting 201 of them by doubling from an hour would take 14 queries."""
    col.insert_many([{"id": f"s{i:04d}", "group": "g", "submitted_at": AT - timedelta(days=2 * i)}
                     for i in range(300)])
    for after in (None, page(col, {"group": "g"}, NEWEST_FIRST, 20, newest=AT)["next"]):
        got, finds = finds_of(col, {"group": "g"}, NEWEST_FIRST, 20, newest=AT, after=after)
        _, reading = finds_of(col, {"group": "g"}, NEWEST_FIRST, 20, newest=AT, after=after, total_limit=None)
        assert got["total"] == 200 and got["total_capped"] is True
        assert finds - reading <= 3


@pytest.mark.parametrize("limit", [1, 3, 5, 14, 15, 16, 100])
def test_totals_counted_in_sized_windows_are_exact(col, limit):
    spread(col, HOURS)
    for size in (1, 2, 4):
        got = page(col, {"group": "g"}, NEWEST_FIRST, size, newest=AT, total_limit=limit)
        assert (got["total"], got["total_capped"]) == (min(len(HOURS), limit), len(HOURS) > limit)


def test_days_counted_in_sized_windows_are_exact(col):
    from datetime import date
    col.insert_many([{"id": f"d{i:03d}", "group": "g", "day": (date(2026, 11, 23) - timedelta(days=3 * i)).isoformat(),
                      "submitted_at": AT} for i in range(40)])
    got = page(col, {"group": "g"}, [("day", -1), ("id", 1)], 5, newest=date(2026, 11, 24), total_limit=30)
    assert (got["total"], got["total_capped"]) == (30, True)
    got = page(col, {"group": "g"}, [("day", -1), ("id", 1)], 5, newest=date(2026, 11, 24), total_limit=50)
    assert (got["total"], got["total_capped"]) == (40, False)
