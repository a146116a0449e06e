"""The lists of orders and inspections, and the overdue sweep, are served by their indexes, never by
a collection scan (see tests/test_list_query_plans.py)."""
from datetime import datetime, timedelta, timezone

import pytest

from credit.usecases import inspections, orders
from services.credit.tests.findings import CITY, INSTITUTION, PUDONG
from tests.query_plans import Recording, assert_uses_index

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)
DISTRICTS = ("浦东新区", "闵行区")


def _order(n):
    at = T0 + timedelta(hours=7 * n)
    status = ("issued", "answered", "returned", "accepted")[n % 4]
    return {"id": f"o{n:04d}", "number": f"ZG2026{n:06d}", "district": DISTRICTS[n % 2], "status": status,
            "addressee": {"kind": "institution", "id": f"i{n % 3}"}, "institution_id": f"i{n % 3}",
            "enterprise_id": None, "issued_at": at, "issued_on": at.date().isoformat(), "round": 1,
            "due": (at + timedelta(days=14)).date().isoformat(), "overdue": n % 3 == 0, "working_days": 10,
            "items": [], "trail": [], "warning_ids": [f"W-{n}"]}


def _inspection(n):
    on = (T0 + timedelta(days=n % 50)).date().isoformat()
    return {"id": f"x{n:04d}", "kind": "onsite", "subject_kind": "institution", "district": DISTRICTS[n % 2],
            "institution_id": f"i{n % 3}", "enterprise_id": None, "outlet_id": None, "inspected_on": on,
            "items": [], "factors": [], "photos": [], "failed": False}


@pytest.fixture
def rec(ctx):
    ctx.db["orders"].insert_many([_order(n) for n in range(150)])
    ctx.db["inspections"].insert_many([_inspection(n) for n in range(150)])
    ctx.db = Recording(ctx.db)
    return ctx


def _explain_each(ctx, collection, index, why):
    finds = ctx.db.finds(collection)
    assert finds, f"{why}: the use case ran no find on {collection}"
    for cursor in finds:
        assert_uses_index(cursor.clone(), index, why)


@pytest.mark.parametrize("actor, index", [(PUDONG, "orders_district_list"), (INSTITUTION, "orders_institution_list"),
                                          (CITY, "orders_city_list")])
def test_the_order_list_of_each_scope_pages_on_its_index(rec, actor, index):
    first = orders.list_orders(rec, actor, {"size": 10})
    orders.list_orders(rec, actor, {"size": 10, "after": first["next"]})
    _explain_each(rec, "orders", index, f"orders of {actor.username}")


def test_the_overdue_sweep_reads_only_the_orders_it_may_mark(rec):
    orders.sweep_overdue_orders(rec, limit=0)
    _explain_each(rec, "orders", "orders_overdue_sweep", "overdue sweep")


@pytest.mark.parametrize("actor, index", [(PUDONG, "inspections_district_list"),
                                          (INSTITUTION, "inspections_institution_list")])
def test_the_inspection_list_of_each_scope_pages_on_its_index(rec, actor, index):
    first = inspections.list_inspections(rec, actor, {"size": 10})
    inspections.list_inspections(rec, actor, {"size": 10, "after": first["next"]})
    _explain_each(rec, "inspections", index, f"inspections of {actor.username}")


def test_the_sweep_s_look_for_unfinished_steps_reads_only_the_orders_and_inspections_holding_one(rec):
    orders.finish_follow_ups(rec)
    inspections.finish_pending_findings(rec)
    _explain_each(rec, "orders", "orders_follow_ups", "orders with warning steps left")
    _explain_each(rec, "inspections", "inspections_findings_pending", "inspections with findings left")
