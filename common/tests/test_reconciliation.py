"""Reconciliation from a watermark: the source pages its facts by change time on an index, the
consumer resumes from its watermark, re-reads a short overlap, and counts what it repaired."""
from datetime import datetime, timedelta, timezone

import pytest

from emss_common import replica
from emss_common.errors import ValidationFailed
from emss_common.reconciliation import Export, Watermarks, catch_up, export_page, indexes
from emss_common.store import Index, ensure_indexes, open_database

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
EXPORTS = (Export("outlets", lambda d: {k: d[k] for k in ("id", "name", "version")}),
           Export("records", lambda d: {"id": d["id"]}, key="submitted_at", query={"status": "submitted"},
                  start=timedelta(days=31)))


@pytest.fixture
def source(store_config):
    db = open_database("registry", store_config)
    ensure_indexes(db, indexes(EXPORTS))
    return db


@pytest.fixture
def consumer(store_config):
    db = open_database("tasks", store_config)
    ensure_indexes(db, {"outlets": [Index([("id", 1)], unique=True)]})
    return db


def outlet(db, n, at, version=1, name=None):
    db["outlets"].update_one({"id": f"o{n:03d}"}, {"$set": {"name": name or f"{n}#排口", "version": version,
                                                          "updated_at": at}}, upsert=True)


def fetch_from(db, limit=3, now=T0):
    calls = []

    def fetch(after):
        calls.append(after)
        return export_page(db, EXPORTS, "outlets", after, limit, now)
    fetch.calls = calls
    return fetch


def keep_into(db):
    return lambda fact, at: replica.upsert_newer(db["outlets"], fact, at)


def test_pages_cover_every_fact_once_in_change_order_even_when_many_share_a_time(source):
    for n in range(7):
        outlet(source, n, T0)            # a frozen clock: all changed at the same instant
    outlet(source, 7, T0 - timedelta(hours=1))
    seen, after = [], None
    while True:
        page = export_page(source, EXPORTS, "outlets", after, 3)
        seen += [i["fact"]["id"] for i in page["items"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == ["o007"] + [f"o{n:03d}" for n in range(7)]


def test_a_page_is_served_by_the_change_time_index_not_a_scan(source):
    outlet(source, 1, T0)
    plan = source["outlets"].find({"updated_at": {"$gt": T0}}).sort([("updated_at", 1), ("id", 1)]) \
        .limit(3).explain()
    assert "IXSCAN" in str(plan) and "COLLSCAN" not in str(plan)


def test_a_consumer_without_a_watermark_starts_where_the_export_says(source):
    source["records"].insert_many([
        {"id": "old", "status": "submitted", "submitted_at": T0 - timedelta(days=40)},
        {"id": "new", "status": "submitted", "submitted_at": T0 - timedelta(days=3)},
        {"id": "draft", "status": "draft"}])
    page = export_page(source, EXPORTS, "records", None, 10, now=T0)
    assert [i["fact"]["id"] for i in page["items"]] == ["new"]


def test_a_round_copies_what_is_missing_and_the_next_starts_at_the_watermark(source, consumer):
    for n in range(5):
        outlet(source, n, T0 + timedelta(hours=n))
    marks = Watermarks(consumer)
    first = catch_up(marks, "registry", "outlets", fetch_from(source), keep_into(consumer), T0)
    assert (first.repaired, first.seen, first.behind) == (5, 5, False)
    assert consumer["outlets"].count_documents({}) == 5
    assert marks.get("registry", "outlets")["id"] == "o004"

    outlet(source, 9, T0 + timedelta(hours=6))
    fetch = fetch_from(source)
    second = catch_up(marks, "registry", "outlets", fetch, keep_into(consumer), T0)
    # Only the overlap behind the watermark (o004) and what changed since are read again.
    assert (second.seen, second.repaired) == (2, 1)
    assert fetch.calls[0]["at"] == (T0 + timedelta(hours=4) - timedelta(minutes=5)).isoformat()


def test_keeping_a_copy_already_kept_repairs_nothing(source, consumer):
    outlet(source, 1, T0)
    marks = Watermarks(consumer)
    catch_up(marks, "registry", "outlets", fetch_from(source), keep_into(consumer), T0)
    again = catch_up(marks, "registry", "outlets", fetch_from(source), keep_into(consumer), T0)
    assert (again.seen, again.repaired) == (1, 0)


def test_a_copy_kept_from_a_newer_event_is_not_overwritten_by_an_older_export(source, consumer):
    outlet(source, 1, T0, version=1, name="旧名称")
    replica.upsert_newer(consumer["outlets"], {"id": "o001", "name": "新名称", "version": 2},
                         (T0 + timedelta(minutes=1)).isoformat())
    done = catch_up(Watermarks(consumer), "registry", "outlets", fetch_from(source), keep_into(consumer), T0)
    assert done.repaired == 0
    assert consumer["outlets"].find_one({"id": "o001"})["name"] == "新名称"


def test_a_stale_copy_is_repaired_and_counted(source, consumer):
    replica.upsert_newer(consumer["outlets"], {"id": "o001", "name": "旧名称", "version": 1}, T0.isoformat())
    outlet(source, 1, T0 + timedelta(minutes=1), version=2, name="新名称")
    done = catch_up(Watermarks(consumer), "registry", "outlets", fetch_from(source), keep_into(consumer), T0)
    assert done.repaired == 1
    assert consumer["outlets"].find_one({"id": "o001"})["name"] == "新名称"


def test_a_long_backlog_is_read_over_several_rounds_without_losing_a_fact(source, consumer):
    for n in range(10):
        outlet(source, n, T0 + timedelta(seconds=n))
    marks = Watermarks(consumer)
    first = catch_up(marks, "registry", "outlets", fetch_from(source, limit=2), keep_into(consumer), T0,
                     max_pages=2)
    assert first.behind and consumer["outlets"].count_documents({}) == 4
    while catch_up(marks, "registry", "outlets", fetch_from(source, limit=2), keep_into(consumer), T0,
                   max_pages=2).behind:
        pass
    assert consumer["outlets"].count_documents({}) == 10


@pytest.mark.parametrize("after, field", [({"at": "昨天", "id": "x"}, "after"), ({"id": "x"}, "after")])
def test_a_bad_cursor_is_refused_naming_the_field(source, after, field):
    with pytest.raises(ValidationFailed) as exc:
        export_page(source, EXPORTS, "outlets", after, 3)
    assert exc.value.field == field


def test_an_unknown_collection_or_page_size_is_refused(source):
    with pytest.raises(ValidationFailed) as exc:
        export_page(source, EXPORTS, "accounts", None, 3)
    assert exc.value.field == "collection"
    with pytest.raises(ValidationFailed) as exc:
        export_page(source, EXPORTS, "outlets", None, 100000)
    assert exc.value.field == "limit"
