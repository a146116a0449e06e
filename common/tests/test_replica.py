"""Keeping a copy of another service's fact: a newer copy replaces an older one, an older never
replaces a newer, whatever order the events come in; and the writes are ones the id index serves."""
from datetime import datetime, timedelta, timezone

import pytest

from emss_common import replica
from emss_common.store import Index, ensure_indexes, open_database

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def copies(store_config):
    db = open_database("credit", store_config)
    ensure_indexes(db, {"outlets": [Index([("id", 1)], unique=True)]})
    return db["outlets"]


def keep(col, name, at, version=None):
    fact = {"id": "o1", "name": name}
    if version is not None:
        fact["version"] = version
    return replica.upsert_newer(col, fact, (T0 + timedelta(minutes=at)).isoformat())


def name(col):
    return col.find_one({"id": "o1"})["name"]


def test_the_first_copy_is_kept_and_the_same_fact_again_changes_nothing(copies):
    assert keep(copies, "一号", 0, version=1) is True
    assert keep(copies, "一号", 0, version=1) is False
    assert copies.count_documents({}) == 1 and name(copies) == "一号"


def test_a_higher_version_replaces_a_lower_one_and_never_the_other_way(copies):
    keep(copies, "旧", 5, version=1)
    assert keep(copies, "新", 0, version=2) is True        # an older event of a newer version still wins
    assert keep(copies, "旧", 10, version=1) is False
    assert name(copies) == "新"


def test_within_one_version_the_later_event_wins(copies):
    keep(copies, "早", 0, version=3)
    assert keep(copies, "晚", 1, version=3) is True
    assert keep(copies, "早", 0, version=3) is False
    assert name(copies) == "晚"


def test_without_a_version_the_event_time_orders_copies(copies):
    keep(copies, "晚", 10)
    assert keep(copies, "早", 5) is False
    assert keep(copies, "更晚", 11) is True
    assert name(copies) == "更晚"


def test_a_copy_kept_without_an_event_time_is_replaced(copies):
    copies.insert_one({"id": "o1", "name": "无时间", "version": 9})
    assert keep(copies, "有时间", 0, version=1) is True
    assert name(copies) == "有时间"


class Filters:
    """A collection that remembers the filters of its reads and updates."""

    def __init__(self, col):
        self.col, self.filters = col, []

    def insert_one(self, doc):
        return self.col.insert_one(doc)

    def find_one(self, filter_, *args, **kwargs):
        self.filters.append(filter_)
        return self.col.find_one(filter_, *args, **kwargs)

    def update_one(self, filter_, update, **kwargs):
        self.filters.append(filter_)
        return self.col.update_one(filter_, update, **kwargs)


def test_a_copy_is_written_with_filters_on_its_id_without_a_top_level_operator(copies):
    """SecantusDB looks a filter's id clause up in the index unless the filter has a top-level
    operator ($or, $and): then it scans the whole collection, once per kept fact."""
    recorded = Filters(copies)
    replica.upsert_newer(recorded, {"id": "o1", "version": 1}, T0.isoformat())
    for minutes, version in ((1, 1), (0, 2), (0, 1)):
        replica.upsert_newer(recorded, {"id": "o1", "version": version}, (T0 + timedelta(minutes=minutes)).isoformat())
    assert recorded.filters
    for f in recorded.filters:
        assert f.get("id") == "o1" and not [k for k in f if k.startswith("$")], f
