"""Who sees which confirmation records: scopes never widen by a query's filters."""
from emss_common.actor import Actor
from confirmation.domain.access import may_view, scope_query, within

RECORD = {"institution_id": "i1", "enterprise_id": "e1", "district": "浦东新区"}


def test_each_side_sees_its_own_and_regulators_their_district():
    assert may_view(Actor("a", "inst", frozenset({"reviewer"}), institution_id="i1"), RECORD)
    assert may_view(Actor("a", "ent", frozenset({"enterprise_user"}), enterprise_id="e1"), RECORD)
    assert may_view(Actor("a", "pd", frozenset({"regulator"}), district="浦东新区"), RECORD)
    assert may_view(Actor("a", "city", frozenset({"regulator"}), district="*"), RECORD)
    assert not may_view(Actor("a", "hp", frozenset({"regulator"}), district="黄浦区"), RECORD)
    assert not may_view(Actor("a", "ent2", frozenset({"enterprise_user"}), enterprise_id="e2"), RECORD)
    assert scope_query(Actor("a", "nobody")) is None


def test_a_self_operating_enterprise_account_sees_both_its_sides():
    both = Actor("a", "own", frozenset({"institution_admin", "enterprise_user"}), institution_id="i7",
                 enterprise_id="e7")
    assert scope_query(both) == {"$or": [{"institution_id": "i7"}, {"enterprise_id": "e7"}]}


def test_filters_narrow_a_scope_and_never_replace_it():
    scope = {"enterprise_id": "e2"}
    assert within(scope, {"enterprise_id": "e1"}) == {"$and": [scope, {"enterprise_id": "e1"}]}
    assert within({}, {"enterprise_id": "e1"}) == {"enterprise_id": "e1"}
    assert within(scope, {}) == scope
    # Keys that do not meet make one flat conjunction (an index prefix serves it).
    assert within(scope, {"status": "pending"}) == {"enterprise_id": "e2", "status": "pending"}
    assert within(scope, {"enterprise_id": "e2", "day": "2026-11-23"}) == {"enterprise_id": "e2",
                                                                           "day": "2026-11-23"}
