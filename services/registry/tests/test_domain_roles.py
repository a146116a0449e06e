"""Scope: a regulator sees its jurisdiction, an institution only itself, an enterprise only itself."""
from registry.domain.roles import (ANONYMOUS, Actor, covers_district, may_edit_enterprise,
                                   may_edit_institution, may_review_institution,
                                   may_view_enterprise, may_view_institution)

PUDONG_INST = {"id": "i1", "district": "浦东新区"}
XUHUI_INST = {"id": "i2", "district": "徐汇区"}
PUDONG_ENT = {"id": "e1", "district": "浦东新区"}
XUHUI_ENT = {"id": "e2", "district": "徐汇区"}


def actor(*roles, **scope):
    return Actor.from_dict({"account_id": "a", "username": "u", "roles": list(roles), **scope})


PUDONG_REGULATOR = actor("regulator", district="浦东新区")
CITY_REGULATOR = actor("regulator", district="*")
INSTITUTION_1 = actor("institution_admin", institution_id="i1", district="浦东新区")
FIELD_STAFF_1 = actor("field_staff", institution_id="i1")
ENTERPRISE_1 = actor("enterprise_user", enterprise_id="e1", district="浦东新区")
SYSADMIN = actor("sysadmin")


def test_a_district_regulator_sees_only_its_district():
    assert may_view_institution(PUDONG_REGULATOR, PUDONG_INST)
    assert not may_view_institution(PUDONG_REGULATOR, XUHUI_INST)
    assert may_review_institution(PUDONG_REGULATOR, PUDONG_INST)
    assert not may_review_institution(PUDONG_REGULATOR, XUHUI_INST)
    assert may_view_enterprise(PUDONG_REGULATOR, PUDONG_ENT)
    assert not may_view_enterprise(PUDONG_REGULATOR, XUHUI_ENT)


def test_a_whole_city_regulator_sees_and_reviews_every_district():
    for inst in (PUDONG_INST, XUHUI_INST):
        assert may_view_institution(CITY_REGULATOR, inst)
        assert may_review_institution(CITY_REGULATOR, inst)
    assert may_view_enterprise(CITY_REGULATOR, XUHUI_ENT)


def test_a_district_only_means_something_to_a_regulator():
    # An institution in 浦东新区 does not thereby see other 浦东新区 institutions.
    assert not covers_district(INSTITUTION_1, "浦东新区")
    assert not may_view_institution(INSTITUTION_1, {"id": "i3", "district": "浦东新区"})


def test_a_regulator_without_a_district_covers_nothing():
    # not even what names no district: an unset jurisdiction is no jurisdiction
    no_district = actor("regulator")
    assert not covers_district(no_district, None)
    assert not covers_district(no_district, "浦东新区")
    assert not may_view_institution(no_district, {"id": "i3"})


def test_one_institution_never_sees_another():
    assert may_view_institution(INSTITUTION_1, PUDONG_INST)
    assert not may_view_institution(INSTITUTION_1, XUHUI_INST)
    assert not may_edit_institution(INSTITUTION_1, XUHUI_INST)


def test_only_the_institution_main_account_edits_its_filing():
    assert may_edit_institution(INSTITUTION_1, PUDONG_INST)
    assert may_view_institution(FIELD_STAFF_1, PUDONG_INST)
    assert not may_edit_institution(FIELD_STAFF_1, PUDONG_INST)
    assert not may_edit_institution(PUDONG_REGULATOR, PUDONG_INST)
    assert not may_edit_institution(SYSADMIN, PUDONG_INST)


def test_an_institution_does_not_review_itself():
    assert not may_review_institution(INSTITUTION_1, PUDONG_INST)
    assert not may_review_institution(SYSADMIN, PUDONG_INST)


def test_the_system_administrator_sees_everything_but_reviews_nothing():
    assert may_view_institution(SYSADMIN, XUHUI_INST)
    assert may_view_enterprise(SYSADMIN, XUHUI_ENT)


def test_an_enterprise_sees_and_edits_only_itself():
    assert may_view_enterprise(ENTERPRISE_1, PUDONG_ENT)
    assert may_edit_enterprise(ENTERPRISE_1, PUDONG_ENT)
    assert not may_view_enterprise(ENTERPRISE_1, XUHUI_ENT)
    assert not may_edit_enterprise(ENTERPRISE_1, XUHUI_ENT)
    assert not may_view_institution(ENTERPRISE_1, PUDONG_INST)


def test_institutions_read_the_enterprise_directory_but_do_not_edit_it():
    assert may_view_enterprise(INSTITUTION_1, XUHUI_ENT)
    assert may_view_enterprise(FIELD_STAFF_1, XUHUI_ENT)
    assert not may_edit_enterprise(INSTITUTION_1, XUHUI_ENT)
    assert not may_edit_enterprise(PUDONG_REGULATOR, PUDONG_ENT)


def test_an_anonymous_caller_sees_nothing():
    assert Actor.from_dict(None) is ANONYMOUS
    assert ANONYMOUS.is_anonymous
    assert not may_view_institution(ANONYMOUS, PUDONG_INST)
    assert not may_view_enterprise(ANONYMOUS, PUDONG_ENT)


def test_an_actor_without_an_institution_does_not_match_an_institution_without_an_id():
    assert not may_view_institution(actor("field_staff"), {"id": None, "district": "浦东新区"})


def test_an_actor_round_trips_through_a_dict():
    again = Actor.from_dict(INSTITUTION_1.to_dict())
    assert again == INSTITUTION_1
    assert INSTITUTION_1.to_dict()["roles"] == ["institution_admin"]
    assert INSTITUTION_1.has("regulator", "institution_admin")
    assert not INSTITUTION_1.has("regulator")
