"""Accounts through RabbitMQ: sessions, lock-out, passwords, sub-accounts, regulators."""
import pytest

from emss_common.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from tests import builders as b

PASSWORD = "Field#Pass2026"


def _login(registry, username, password=PASSWORD):
    return registry.login({"username": username, "password": password})


def test_a_login_gives_a_session_that_resolves_to_the_actor_until_logout(registry, flow):
    inst, _ = flow.register(username="session01")
    out = _login(registry, "session01")
    assert out["expires_at"] == "2026-06-15T10:00:00+00:00"  # eight hours
    assert out["actor"]["institution_id"] == inst["id"]
    resolved = registry.resolve_session(out["token"])
    assert resolved["actor"] == out["actor"]
    assert registry.logout(out["token"]) == {"ok": True}
    with pytest.raises(NotAuthenticated):
        registry.resolve_session(out["token"])


def test_a_session_expires_after_eight_hours(registry, flow, clock):
    flow.register(username="session02")
    token = _login(registry, "session02")["token"]
    clock.advance(hours=7, minutes=59)
    registry.resolve_session(token)
    clock.advance(minutes=1)
    with pytest.raises(NotAuthenticated) as exc:
        registry.resolve_session(token)
    assert "过期" in exc.value.message


def test_an_unknown_token_or_none_is_not_authenticated(registry):
    for token in ("made-up", None, ""):
        with pytest.raises(NotAuthenticated) as exc:
            registry.resolve_session(token)
        assert exc.value.field is None


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(registry, flow):
    flow.register(username="same0001")
    with pytest.raises(NotAuthenticated) as wrong:
        _login(registry, "same0001", "Wrong#Pass2026")
    with pytest.raises(NotAuthenticated) as unknown:
        _login(registry, "nobody0001", "Wrong#Pass2026")
    assert wrong.value.message == unknown.value.message


def test_five_failures_lock_the_account_for_fifteen_minutes(registry, flow, clock):
    flow.register(username="locked01")
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            _login(registry, "locked01", "Wrong#Pass2026")
    with pytest.raises(NotAuthenticated) as exc:
        _login(registry, "locked01")  # even the right password
    assert "锁定" in exc.value.message
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(NotAuthenticated):
        _login(registry, "locked01")
    clock.advance(seconds=1)
    assert _login(registry, "locked01")["actor"]["username"] == "locked01"


def test_four_failures_then_a_success_start_the_count_afresh(registry, flow):
    flow.register(username="counter01")
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            _login(registry, "counter01", "Wrong#Pass2026")
    _login(registry, "counter01")
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            _login(registry, "counter01", "Wrong#Pass2026")
    assert _login(registry, "counter01")["token"]


def test_a_lock_that_has_run_out_counts_failures_afresh(registry, flow, clock):
    flow.register(username="relock01")
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            _login(registry, "relock01", "Wrong#Pass2026")
    clock.advance(minutes=16)
    with pytest.raises(NotAuthenticated):
        _login(registry, "relock01", "Wrong#Pass2026")  # one failure, not six
    assert _login(registry, "relock01")["token"]


def test_changing_the_password_ends_every_other_session(registry, flow):
    flow.register(username="changer01")
    first = _login(registry, "changer01")
    actor = first["actor"]
    with pytest.raises(ValidationFailed) as exc:
        registry.change_password(actor, {"old_password": "Wrong#Pass2026", "new_password": "New#Pass20261"})
    assert exc.value.field == "old_password"
    with pytest.raises(ValidationFailed) as exc:
        registry.change_password(actor, {"old_password": PASSWORD, "new_password": "short"})
    assert exc.value.field == "new_password"
    registry.change_password(actor, {"old_password": PASSWORD, "new_password": "New#Pass20261"})
    with pytest.raises(NotAuthenticated):
        registry.resolve_session(first["token"])
    with pytest.raises(NotAuthenticated):
        _login(registry, "changer01")
    assert _login(registry, "changer01", "New#Pass20261")["token"]


def test_only_the_system_administrator_creates_regulators(registry, admin, flow):
    _, institution = flow.register()
    body = {**b.account("reg-pudong"), "district": "浦东新区"}
    with pytest.raises(Forbidden):
        registry.create_regulator(institution, body)
    with pytest.raises(ValidationFailed) as exc:
        registry.create_regulator(admin, {**body, "district": "朝阳区"})
    assert exc.value.field == "district"
    created = registry.create_regulator(admin, body)
    assert created["roles"] == ["regulator"] and created["role_labels"] == ["监管方"]
    assert "password_hash" not in created and "password" not in created
    actor = _login(registry, "reg-pudong")["actor"]
    assert (actor["roles"], actor["district"]) == (["regulator"], "浦东新区")
    with pytest.raises(Conflict) as exc:
        registry.create_regulator(admin, body)
    assert exc.value.field == "username"
    assert [a["username"] for a in registry.list_accounts(admin, "regulator")] == ["reg-pudong"]
    with pytest.raises(Forbidden):
        registry.list_accounts(actor)


@pytest.fixture
def institution_with_staff(registry, flow):
    inst, me = flow.register(username="mainacct01")
    registry.add_institution_item(me, inst["id"], "staff", b.staff("赵强", "om_staff", n=1))
    view = registry.add_institution_item(me, inst["id"], "staff", b.staff("钱技", "technical_lead", n=2))
    om_id, lead_id = view["staff"][0]["id"], view["staff"][1]["id"]
    return inst, me, om_id, lead_id


def test_a_field_staff_account_must_link_an_om_staff_record(registry, institution_with_staff):
    inst, me, om_id, lead_id = institution_with_staff
    with pytest.raises(ValidationFailed) as exc:
        registry.create_sub_account(me, {**b.account("field0001"), "roles": ["field_staff"]})
    assert exc.value.field == "staff_id"
    with pytest.raises(ValidationFailed) as exc:
        registry.create_sub_account(me, {**b.account("field0001"), "roles": ["field_staff"],
                                         "staff_id": lead_id})
    assert exc.value.field == "staff_id"
    with pytest.raises(ValidationFailed) as exc:
        registry.create_sub_account(me, {**b.account("field0001"), "roles": ["field_staff"],
                                         "staff_id": "not-a-staff-id"})
    assert exc.value.field == "staff_id"
    assert registry.list_sub_accounts(me) == []

    created = registry.create_sub_account(me, {**b.account("field0001", name="赵强"),
                                               "roles": ["field_staff", "reviewer"], "staff_id": om_id})
    assert created["roles"] == ["field_staff", "reviewer"]
    actor = _login(registry, "field0001")["actor"]
    assert (actor["institution_id"], actor["staff_id"], actor["district"]) == (inst["id"], om_id, "浦东新区")
    assert registry.get_institution(actor, inst["id"])["id"] == inst["id"]
    with pytest.raises(Forbidden):
        registry.add_institution_item(actor, inst["id"], "staff", b.staff(n=7))


def test_a_reviewer_needs_no_staff_record(registry, institution_with_staff):
    _, me, _, _ = institution_with_staff
    created = registry.create_sub_account(me, {**b.account("review0001"), "roles": ["reviewer"]})
    assert created["role_labels"] == ["运维审核"]
    assert [a["username"] for a in registry.list_sub_accounts(me)] == ["review0001"]


@pytest.mark.parametrize("roles", [[], ["institution_admin"], ["regulator"], ["sysadmin"]])
def test_a_sub_account_gets_only_sub_account_roles(registry, institution_with_staff, roles):
    _, me, _, _ = institution_with_staff
    with pytest.raises(ValidationFailed) as exc:
        registry.create_sub_account(me, {**b.account("sneaky0001"), "roles": roles})
    assert exc.value.field.startswith("roles")


def test_a_disabled_sub_account_cannot_log_in_and_loses_its_sessions(registry, institution_with_staff, flow):
    _, me, om_id, _ = institution_with_staff
    sub = registry.create_sub_account(me, {**b.account("field0002"), "roles": ["field_staff"],
                                           "staff_id": om_id})
    token = _login(registry, "field0002")["token"]
    _, other_admin = flow.register()
    with pytest.raises(NotFound):
        registry.set_sub_account_active(other_admin, sub["id"], False)
    assert registry.set_sub_account_active(me, sub["id"], False)["active"] is False
    with pytest.raises(NotAuthenticated):
        registry.resolve_session(token)
    with pytest.raises(NotAuthenticated) as exc:
        _login(registry, "field0002")
    assert "停用" in exc.value.message
    registry.set_sub_account_active(me, sub["id"], True)
    assert _login(registry, "field0002")["token"]


def test_only_an_institution_main_account_manages_sub_accounts(registry, institution_with_staff, flow):
    _, me, om_id, _ = institution_with_staff
    regulator = flow.regulator()
    with pytest.raises(Forbidden):
        registry.create_sub_account(regulator, {**b.account("field0003"), "roles": ["reviewer"]})
    registry.create_sub_account(me, {**b.account("review0003"), "roles": ["reviewer"]})
    reviewer = _login(registry, "review0003")["actor"]
    with pytest.raises(Forbidden):
        registry.create_sub_account(reviewer, {**b.account("field0004"), "roles": ["reviewer"]})
    with pytest.raises(Forbidden):
        registry.list_sub_accounts(reviewer)


def test_another_institution_cannot_link_my_staff(registry, institution_with_staff, flow):
    _, _, om_id, _ = institution_with_staff
    _, other_admin = flow.register()
    with pytest.raises(ValidationFailed) as exc:
        registry.create_sub_account(other_admin, {**b.account("thief0001"), "roles": ["field_staff"],
                                                  "staff_id": om_id})
    assert exc.value.field == "staff_id"


def test_one_person_has_at_most_one_active_field_account(registry, institution_with_staff):
    _, me, om_id, _ = institution_with_staff
    registry.create_sub_account(me, {**b.account("field0101"), "roles": ["field_staff"], "staff_id": om_id})
    with pytest.raises(ValidationFailed) as exc:
        registry.create_sub_account(me, {**b.account("field0102"), "roles": ["field_staff"],
                                         "staff_id": om_id})
    assert exc.value.field == "staff_id"


def test_colleagues_see_masked_id_numbers_and_events_carry_none(registry, institution_with_staff, events):
    inst, me, om_id, _ = institution_with_staff
    registry.create_sub_account(me, {**b.account("review0101"), "roles": ["reviewer"]})
    reviewer = _login(registry, "review0101")["actor"]
    full = registry.get_institution(me, inst["id"])["staff"][0]["id_number"]
    masked = registry.get_institution(reviewer, inst["id"])["staff"][0]["id_number"]
    assert "*" not in full and masked == full[:3] + "*" * 11 + full[-4:]
    for event in events.collect():
        for person in (event["data"].get("institution") or {}).get("staff", []):
            assert "id_number" not in person
