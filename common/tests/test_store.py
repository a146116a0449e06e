"""The part of pymongo the services use, on the test store server or (MONGO_URI set) real MongoDB."""
from datetime import datetime, timezone

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from emss_common.serial import to_document
from emss_common.store import Index, database_name, ensure_indexes, open_database

AT = datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(store_config):
    db = open_database("registry", store_config)
    ensure_indexes(db, {"items": [Index([("id", 1)], unique=True), Index([("group", 1), ("n", 1)])]})
    return db


def test_each_service_has_its_own_database_name():
    assert database_name("registry", {}) == "emss_registry"
    assert database_name("tasks", {"EMSS_DB_SUFFIX": "_t1"}) == "emss_tasks_t1"


def test_a_unique_index_refuses_a_duplicate(db):
    db["items"].insert_one({"id": "a"})
    with pytest.raises(DuplicateKeyError):
        db["items"].insert_one({"id": "a"})
    assert db["items"].count_documents({"id": "a"}) == 1


def test_declaring_indexes_again_is_harmless(db):
    ensure_indexes(db, {"items": [Index([("id", 1)], unique=True)]})
    db["items"].insert_one({"id": "a"})
    with pytest.raises(DuplicateKeyError):
        db["items"].insert_one({"id": "a"})


def test_find_with_sort_skip_limit_and_count(db):
    for n in range(7):
        db["items"].insert_one({"id": f"i{n}", "group": "g" if n % 2 else "h", "n": n})
    rows = list(db["items"].find({"group": "g"}, {"_id": 0}).sort([("n", -1)]).skip(1).limit(2))
    assert [r["n"] for r in rows] == [3, 1]
    assert db["items"].count_documents({"group": "g"}) == 3
    assert db["items"].count_documents({"n": {"$gte": 5}}) == 2
    assert "_id" not in rows[0]


def test_update_operators(db):
    db["items"].insert_one({"id": "a", "n": 1, "list": [], "tags": ["x"]})
    result = db["items"].update_one({"id": "a"}, {"$set": {"name": "甲"}, "$inc": {"n": 2},
                                                  "$push": {"list": {"k": 1}}})
    assert result.matched_count == 1
    db["items"].update_one({"id": "a"}, {"$addToSet": {"tags": "x"}})
    db["items"].update_one({"id": "a"}, {"$addToSet": {"tags": "y"}})
    assert db["items"].find_one({"id": "a"}, {"_id": 0}) == {
        "id": "a", "n": 3, "list": [{"k": 1}], "tags": ["x", "y"], "name": "甲"}


def test_an_update_conditioned_on_a_version_matches_nothing_when_stale(db):
    db["items"].insert_one({"id": "a", "version": 2})
    assert db["items"].update_one({"id": "a", "version": 1}, {"$inc": {"version": 1}}).matched_count == 0
    assert db["items"].find_one({"id": "a"})["version"] == 2


def test_update_many_and_delete_one(db):
    for n in range(3):
        db["items"].insert_one({"id": f"i{n}", "group": "g", "n": n})
    assert db["items"].update_many({"group": "g"}, {"$set": {"done": True}}).matched_count == 3
    assert db["items"].count_documents({"done": True}) == 3
    assert db["items"].delete_one({"id": "i1"}).deleted_count == 1
    assert db["items"].count_documents({}) == 2


def test_find_one_and_update_returns_the_document_before_or_after(db):
    db["items"].insert_one({"id": "seq", "n": 1})
    before = db["items"].find_one_and_update({"id": "seq"}, {"$inc": {"n": 1}})
    after = db["items"].find_one_and_update({"id": "seq"}, {"$inc": {"n": 1}},
                                            return_document=ReturnDocument.AFTER)
    assert (before["n"], after["n"]) == (1, 3)
    assert db["items"].find_one_and_update({"id": "none"}, {"$inc": {"n": 1}}) is None


def test_datetimes_come_back_as_aware_utc_and_dates_as_iso_text(db):
    db["items"].insert_one(to_document({"id": "a", "at": AT, "on": AT.date()}))
    doc = db["items"].find_one({"id": "a"})
    assert doc["at"] == AT and doc["at"].utcoffset().total_seconds() == 0
    assert doc["on"] == "2026-10-12"
    assert db["items"].count_documents({"on": {"$gte": "2026-10-01", "$lt": "2026-11-01"}}) == 1


def test_a_regex_keyword_query_and_a_query_on_an_array_member(db):
    db["items"].insert_one({"id": "a", "name": "上海清源环境运维有限公司", "caps": ["wastewater_om"]})
    db["items"].insert_one({"id": "b", "name": "上海东方检测", "caps": ["sampling"]})
    found = db["items"].find({"$or": [{"name": {"$regex": "清源"}}, {"addr": {"$regex": "清源"}}]})
    assert [d["id"] for d in found] == ["a"]
    assert [d["id"] for d in db["items"].find({"caps": "sampling"})] == ["b"]
