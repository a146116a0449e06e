"""WeChat bindings through RabbitMQ: binding proves the password (and counts toward lock-out),
a bound WeChat user logs in without one, one openid ↔ one account, unbinding ends its sessions."""
import pytest

from emss_common.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed
from tests import builders as b

PASSWORD = "Field#Pass2026"
WRONG = "Wrong#Pass2026"
OPENID = "oEMSStest000000000000000001"
OTHER_OPENID = "oEMSStest000000000000000002"


def _store(registry_container):
    return next(d for d in registry_container.dependencies if type(d).__name__ == "Store").db


def _audit(registry_container, account_id):
    rows = _store(registry_container)["audit"].find({"subject_type": "account", "subject_id": account_id})
    return [(r["action"], r.get("reason")) for r in rows.sort([("at", 1), ("_id", 1)])]


@pytest.fixture
def field_staff(registry, flow):
    """An O&M institution's main account and a field-staff sub-account linked to its staff."""
    inst, me = flow.register(username="wxmain01")
    view = registry.add_institution_item(me, inst["id"], "staff", b.staff("赵强", "om_staff", n=1))
    sub = registry.create_sub_account(me, {**b.account("wxfield01", name="赵强"),
                                           "roles": ["field_staff"], "staff_id": view["staff"][0]["id"]})
    return inst, me, sub


def test_an_unbound_wechat_user_is_told_so(registry):
    assert registry.wechat_login(OPENID) == {"bound": False}


def test_binding_then_wechat_login_gives_a_session_of_that_account(registry, field_staff, events,
                                                                   registry_container):
    inst, _, sub = field_staff
    out = registry.bind_wechat(OPENID, "wxfield01", PASSWORD)
    assert out["actor"]["username"] == "wxfield01"
    assert out["actor"]["roles"] == ["field_staff"]
    assert out["binding"]["openid_hint"] == "oEMS" + "*" * (len(OPENID) - 8) + "0001"
    assert registry.resolve_session(out["token"])["actor"]["account_id"] == sub["id"]

    login = registry.wechat_login(OPENID)
    assert login["bound"] is True
    actor = registry.resolve_session(login["token"])["actor"]
    assert (actor["account_id"], actor["institution_id"]) == (sub["id"], inst["id"])

    event = events.wait_for("account.wechat_bound", sub["id"])
    assert event["data"]["username"] == "wxfield01"
    assert OPENID not in repr(event)  # a personal identifier stays in the registry
    assert _audit(registry_container, sub["id"]) == [("wechat_bound", None)]

    me = registry.wechat_binding(actor)
    assert me["bound"] is True and me["may_bind"] is True
    assert me["account"]["role_labels"] == ["运维人员"]
    assert me["institution"]["id"] == inst["id"] and me["institution"]["type_label"] == "运维机构"
    assert me["enterprise"] is None


def test_a_wrong_password_is_refused_counted_toward_lock_out_and_binds_nothing(registry, field_staff,
                                                                               clock):
    with pytest.raises(NotAuthenticated) as wrong:
        registry.bind_wechat(OPENID, "wxfield01", WRONG)
    with pytest.raises(NotAuthenticated) as unknown:
        registry.bind_wechat(OPENID, "nobody0001", WRONG)
    assert wrong.value.message == unknown.value.message  # which usernames exist is not revealed
    assert registry.wechat_login(OPENID) == {"bound": False}
    # Four more failures, through login and binding alike, make five: the account is locked.
    for attempt in range(4):
        with pytest.raises(NotAuthenticated):
            if attempt % 2:
                registry.login({"username": "wxfield01", "password": WRONG})
            else:
                registry.bind_wechat(OPENID, "wxfield01", WRONG)
    with pytest.raises(NotAuthenticated) as locked:
        registry.bind_wechat(OPENID, "wxfield01", PASSWORD)  # even the right password
    assert "锁定" in locked.value.message
    with pytest.raises(NotAuthenticated):
        registry.login({"username": "wxfield01", "password": PASSWORD})
    clock.advance(minutes=15)
    assert registry.bind_wechat(OPENID, "wxfield01", PASSWORD)["actor"]["username"] == "wxfield01"


def test_rebinding_replaces_in_both_directions_and_ends_the_replaced_sessions(
        registry, field_staff, flow, events, registry_container):
    _, _, sub = field_staff
    ent = registry.register_enterprise({"enterprise": b.enterprise(name="上海绑定化工有限公司"),
                                        "account": b.account("wxent0001")})
    first = registry.bind_wechat(OPENID, "wxfield01", PASSWORD)

    # The same WeChat user binds another account: the first account is left.
    second = registry.bind_wechat(OPENID, "wxent0001", PASSWORD)
    assert second["actor"]["roles"] == ["enterprise_user"]
    with pytest.raises(NotAuthenticated):
        registry.resolve_session(first["token"])  # opened by that WeChat user for the old account
    actor = registry.resolve_session(registry.wechat_login(OPENID)["token"])["actor"]
    assert actor["enterprise_id"] == ent["enterprise"]["id"]
    field_actor = flow.login("wxfield01")
    assert registry.wechat_binding(field_actor)["bound"] is False
    unbound = events.wait_for("account.wechat_unbound", sub["id"])
    assert unbound["data"]["reason"] == "wechat_user_bound_another_account"

    # The enterprise account is bound from a new phone: the old WeChat user is left.
    third = registry.bind_wechat(OTHER_OPENID, "wxent0001", PASSWORD)
    assert registry.wechat_login(OPENID) == {"bound": False}
    with pytest.raises(NotAuthenticated):
        registry.resolve_session(second["token"])
    assert registry.resolve_session(third["token"])["actor"]["username"] == "wxent0001"
    ent_account = third["actor"]["account_id"]
    assert _audit(registry_container, ent_account) == [
        ("wechat_bound", None), ("wechat_unbound", "replaced_by_new_wechat_user"), ("wechat_bound", None)]
    # A password session of the same account is not the WeChat user's and stays.
    assert registry.wechat_binding(flow.login("wxent0001"))["bound"] is True

    # Binding again the pair that is already bound changes nothing but gives a session.
    again = registry.bind_wechat(OTHER_OPENID, "wxent0001", PASSWORD)
    assert registry.resolve_session(again["token"])["actor"]["account_id"] == ent_account
    assert registry.resolve_session(third["token"])  # not ended
    assert len(_audit(registry_container, ent_account)) == 3


def test_unbinding_ends_the_wechat_sessions_and_the_next_wechat_login_finds_nothing(
        registry, field_staff, flow, events):
    _, _, sub = field_staff
    wx = registry.bind_wechat(OPENID, "wxfield01", PASSWORD)
    password_session = registry.login({"username": "wxfield01", "password": PASSWORD})
    actor = wx["actor"]
    assert registry.unbind_wechat(actor) == {"ok": True}
    with pytest.raises(NotAuthenticated):
        registry.resolve_session(wx["token"])
    assert registry.resolve_session(password_session["token"])  # not opened through WeChat
    assert registry.wechat_login(OPENID) == {"bound": False}
    assert registry.wechat_binding(actor)["bound"] is False
    assert events.wait_for("account.wechat_unbound", sub["id"])["data"]["reason"] == "unbound_by_owner"
    with pytest.raises(NotFound):
        registry.unbind_wechat(actor)
    with pytest.raises(NotAuthenticated):
        registry.unbind_wechat(None)


def test_regulators_and_the_system_administrator_may_not_bind(registry, flow, admin):
    flow.regulator(username="wxreg0001")
    for username, password in (("wxreg0001", PASSWORD), ("admin", "Admin#Test2026")):
        with pytest.raises(Forbidden) as exc:
            registry.bind_wechat(OPENID, username, password)
        assert "不能绑定微信" in exc.value.message
    assert registry.wechat_login(OPENID) == {"bound": False}
    assert registry.wechat_binding(admin)["may_bind"] is False


def test_a_disabled_account_cannot_log_in_through_its_binding(registry, field_staff):
    _, me, sub = field_staff
    registry.bind_wechat(OPENID, "wxfield01", PASSWORD)
    registry.set_sub_account_active(me, sub["id"], False)
    with pytest.raises(Forbidden) as exc:
        registry.wechat_login(OPENID)
    assert "停用" in exc.value.message


@pytest.mark.parametrize("openid", ["", "short", "has space in it!", "<script>alert(1)</script>",
                                    "x" * 65, None, 12345678])
def test_a_malformed_openid_names_the_field(registry, field_staff, openid):
    with pytest.raises(ValidationFailed) as exc:
        registry.wechat_login(openid)
    assert exc.value.field == "openid"
    with pytest.raises(ValidationFailed) as exc:
        registry.bind_wechat(openid, "wxfield01", PASSWORD)
    assert exc.value.field == "openid"
