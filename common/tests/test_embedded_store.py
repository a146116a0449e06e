"""The embedded store is durable: every acknowledged write is in the journal and survives reopening."""
import os
from datetime import datetime, timezone

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from emss_common.embedded import open_embedded
from emss_common.store import Index, close_database, ensure_indexes, open_database

AT = datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)


def _reopen(db, tmp_path, name="emss_test"):
    close_database(db)
    return open_embedded(name, str(tmp_path))


def test_every_kind_of_write_survives_reopening(tmp_path):
    db = open_embedded("emss_test", str(tmp_path))
    col = db["institutions"]
    col.insert_one({"id": "a", "name": "甲", "staff": [], "version": 1, "at": AT})
    col.insert_one({"id": "b", "name": "乙", "staff": [], "version": 1})
    col.insert_one({"id": "c", "name": "丙", "staff": [], "version": 1})
    col.insert_one({"id": "gone", "name": "删"})
    col.update_one({"id": "a"}, {"$set": {"name": "甲公司"}, "$push": {"staff": {"name": "赵强"}},
                                 "$inc": {"version": 1}})
    after = col.find_one_and_update({"id": "b"}, {"$inc": {"version": 5}, "$set": {"status": "x"}},
                                    return_document=ReturnDocument.AFTER)
    assert after["version"] == 6
    col.delete_one({"id": "gone"})
    col.update_many({"id": {"$in": ["a", "c"]}}, {"$set": {"district": "浦东新区"}})
    col.update_one({"id": "d"}, {"$set": {"name": "丁"}}, upsert=True)
    col.update_one({"id": "a"}, {"$addToSet": {"tags": "t1"}})
    db["other"].insert_one({"k": 1})

    db = _reopen(db, tmp_path)
    col = db["institutions"]
    a = col.find_one({"id": "a"}, {"_id": 0})
    assert a == {"id": "a", "name": "甲公司", "staff": [{"name": "赵强"}], "version": 2, "at": AT,
                 "district": "浦东新区", "tags": ["t1"]}
    assert a["at"].tzinfo is not None
    assert col.find_one({"id": "b"}, {"_id": 0}) == {"id": "b", "name": "乙", "staff": [],
                                                     "version": 6, "status": "x"}
    assert col.find_one({"id": "c"})["district"] == "浦东新区"
    assert col.find_one({"id": "d"})["name"] == "丁"
    assert col.find_one({"id": "gone"}) is None
    assert col.count_documents({}) == 4
    assert db["other"].count_documents({"k": 1}) == 1


def test_writes_after_a_reopen_survive_the_next_reopen(tmp_path):
    db = open_embedded("emss_test", str(tmp_path))
    db["c"].insert_one({"n": 1})
    db = _reopen(db, tmp_path)
    db["c"].update_one({"n": 1}, {"$inc": {"n": 1}})
    db["c"].insert_one({"n": 10})
    db = _reopen(db, tmp_path)
    assert sorted(d["n"] for d in db["c"].find()) == [2, 10]


def test_a_torn_last_journal_record_is_ignored(tmp_path):
    db = open_embedded("emss_test", str(tmp_path))
    db["c"].insert_one({"n": 1})
    db["c"].insert_one({"n": 2})
    close_database(db)
    path = os.path.join(str(tmp_path), "emss_test.journal")
    with open(path, "rb") as fh:
        whole = fh.read()
    # A crash in the middle of appending a third record: its header promises more than was written.
    db = open_embedded("scratch", str(tmp_path / "scratch"))
    db["c"].insert_one({"n": 3})
    close_database(db)
    with open(os.path.join(str(tmp_path / "scratch"), "scratch.journal"), "rb") as fh:
        third = fh.read()
    with open(path, "wb") as fh:
        fh.write(whole + third[:len(third) // 2])

    db = open_embedded("emss_test", str(tmp_path))
    assert sorted(d["n"] for d in db["c"].find()) == [1, 2]
    db["c"].insert_one({"n": 4})  # the journal is usable again after the torn tail
    db = _reopen(db, tmp_path)
    assert sorted(d["n"] for d in db["c"].find()) == [1, 2, 4]


def test_a_torn_header_is_ignored_too(tmp_path):
    db = open_embedded("emss_test", str(tmp_path))
    db["c"].insert_one({"n": 1})
    close_database(db)
    with open(os.path.join(str(tmp_path), "emss_test.journal"), "ab") as fh:
        fh.write(b"\x10\x00")
    db = open_embedded("emss_test", str(tmp_path))
    assert [d["n"] for d in db["c"].find()] == [1]


def test_a_failed_unique_update_leaves_the_stored_document_unchanged(tmp_path):
    db = open_embedded("emss_test", str(tmp_path))
    ensure_indexes(db, {"c": [Index([("code", 1)], unique=True)]})
    db["c"].insert_one({"code": "A", "n": 1})
    db["c"].insert_one({"code": "B", "n": 1})
    with pytest.raises(DuplicateKeyError):
        db["c"].update_one({"code": "B"}, {"$set": {"code": "A"}})
    db = _reopen(db, tmp_path)
    assert sorted(d["code"] for d in db["c"].find()) == ["A", "B"]


def test_databases_in_one_data_dir_are_kept_apart(tmp_path):
    one = open_embedded("emss_one", str(tmp_path))
    two = open_embedded("emss_two", str(tmp_path))
    one["c"].insert_one({"n": 1})
    two["c"].insert_one({"n": 2})
    close_database(one)
    close_database(two)
    assert [d["n"] for d in open_embedded("emss_one", str(tmp_path))["c"].find()] == [1]
    assert [d["n"] for d in open_embedded("emss_two", str(tmp_path))["c"].find()] == [2]


def test_open_database_uses_the_data_dir_of_the_config(tmp_path):
    db = open_database("registry", {"EMSS_DATA_DIR": str(tmp_path)})
    db["c"].insert_one({"n": 1})
    close_database(db)
    assert os.path.exists(os.path.join(str(tmp_path), "emss_registry.journal"))
    assert open_database("registry", {"EMSS_DATA_DIR": str(tmp_path)})["c"].count_documents({}) == 1


def test_memory_only_store_writes_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = open_database("registry", {"EMSS_DATA_DIR": ":memory:"})
    db["c"].insert_one({"n": 1})
    assert db["c"].count_documents({}) == 1
    assert os.listdir(str(tmp_path)) == []


def test_dates_written_before_and_after_a_reopen_sort_together(tmp_path):
    # mongomock keeps datetimes naive inside; a replay that made them aware broke every sort.
    from datetime import datetime, timezone
    db = open_embedded("emss_t", str(tmp_path))
    db["a"].insert_one({"n": 1, "at": datetime(2026, 11, 22, 1, tzinfo=timezone.utc)})
    db = open_embedded("emss_t", str(tmp_path))
    db["a"].insert_one({"n": 2, "at": datetime(2026, 11, 22, 2, tzinfo=timezone.utc)})
    rows = list(db["a"].find({}).sort([("at", -1)]))
    assert [r["n"] for r in rows] == [2, 1]
    assert rows[0]["at"].tzinfo is not None and rows[1]["at"] == datetime(2026, 11, 22, 1, tzinfo=timezone.utc)
