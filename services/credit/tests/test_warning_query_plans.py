"""The warning lists and the overview are served by indexes (IXSCAN), never a collection scan: the
real use cases run on the test store, the queries they sent are explained (tests/query_plans.py)."""
import os
import uuid

import pytest

from credit.storage import INDEXES
from credit.usecases import warnings
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.store import client_for, ensure_indexes, open_database
from services.credit.tests.conftest import NOW
from services.credit.tests.findings import CITY, ENTERPRISE, INSTITUTION, PUDONG, finding
from tests.fakes import RecordedEvents
from tests.query_plans import Recording, assert_uses_index

DISTRICTS = ("浦东新区", "闵行区", "徐汇区")
RULES = ("OM_MISSED", "REPORT_LATE", "FAULT_SLOW", "PHOTO_REUSED")


@pytest.fixture(scope="module")
def stored():
    """240 warnings over two months, six hours apart, as raise_finding writes them; one database
    for the module's tests (they only read), dropped afterwards."""
    config = {"MONGO_URI": os.environ["MONGO_URI"], "EMSS_DB_SUFFIX": "_t" + uuid.uuid4().hex[:8]}
    db = open_database("credit", config)
    ensure_indexes(db, INDEXES)
    clock = FrozenClock(NOW)
    docs = []
    for n in range(240):
        docs.append(warnings.new_warning(finding(rule=RULES[n % 4], key=f"k{n}", district=DISTRICTS[n % 3],
                                                 institution_id=f"i{n % 5}", enterprise_id=f"e{n % 7}",
                                                 outlet_id=f"o{n % 11}"), clock.now()))
        clock.advance(hours=6)
    db["warnings"].insert_many(docs)
    yield db, clock
    client_for(config["MONGO_URI"]).drop_database(db.name)


@pytest.fixture
def many(stored):
    db, clock = stored
    return Context(Recording(db), clock, RecordedEvents("credit", db, clock), {})


def explained(ctx, index, why):
    finds = ctx.db.finds("warnings")
    assert finds, f"{why}: no find on warnings"
    for cursor in finds:
        assert_uses_index(cursor.clone(), index, why)


@pytest.mark.parametrize("actor, query, index", [
    (CITY, {}, "city_list"), (PUDONG, {}, "district_list"), (INSTITUTION, {}, "institution_list"),
    (ENTERPRISE, {}, "enterprise_list"), (PUDONG, {"status": "open"}, "district_status_list"),
    (CITY, {"status": "open"}, "city_status_list"), (CITY, {"rule": "FAULT_SLOW"}, "rule_list"),
    (CITY, {"severity": "high"}, "severity_list"), (CITY, {"outlet_id": "o3"}, "outlet_id_list"),
    (CITY, {"district": "闵行区"}, "district_list"), (CITY, {"institution_id": "i2"}, "institution_list"),
    (CITY, {"enterprise_id": "e2"}, "enterprise_list"),
    (PUDONG, {"from": "2026-11-25", "to": "2026-12-20"}, "district_list")])
def test_each_list_pages_on_its_index(many, actor, query, index):
    first = warnings.list_warnings(many, actor, {**query, "size": 5})
    if first["next"]:
        warnings.list_warnings(many, actor, {**query, "size": 5, "after": first["next"]})
    explained(many, index, f"warnings of {actor.username} by {sorted(query)}")


@pytest.mark.parametrize("actor, index", [(CITY, "city_list"), (PUDONG, "district_list"),
                                          (INSTITUTION, "institution_list"), (ENTERPRISE, "enterprise_list")])
def test_the_overview_reads_one_month_of_a_scope_as_a_range_of_its_list_index(many, actor, index):
    out = warnings.overview(many, actor, {"month": "2026-12"})
    assert out["total"] > 0 and out["trend"][-1]["count"] == out["total"]
    explained(many, index, "overview month")
    # the trend counts each month with the same filter
    for month in ("2026-11", "2026-12"):
        where = warnings._in_month(warnings.scope(actor), month)
        assert_uses_index(many.db["warnings"].find(where), index, "trend")
