"""WeChat bindings: a WeChat user (openid of the official account) ↔ one EMSS account.

Decisions:
- Binding proves the account with its username and password through the same check as login,
  so failures count toward the same lock-out.
- One openid ↔ one account, both ways. Binding replaces: a WeChat user who binds another account
  leaves the old one, and an account bound from a new WeChat user (a new phone, a new WeChat
  account) leaves the old WeChat user. Whoever binds has just proved the password, and the one
  replaced is told by the audit trail and the `account.wechat_unbound` event; refusing would
  leave a person with a lost phone no way back short of an administrator.
- Regulators and system administrators may not bind (see domain/wechat.py).
- Sessions opened through WeChat remember their openid; unbinding or replacing ends them.
- Events and audit entries name the account, never the openid (a personal identifier): the audit
  keeps a masked hint only.
"""
from pymongo.errors import DuplicateKeyError

from emss_common.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from emss_common.outbox import pending, staged
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain.roles import Actor
from ..domain.institution import INSTITUTION_TYPES
from ..domain.wechat import may_bind_wechat, openid_hint
from ..schemas import WechatBindSchema, WechatOpenIdSchema
from ..storage import Audit, get
from .accounts import actor_of, authenticate, end_sessions, issue_session, public_account

WECHAT = "wechat"


def wechat_login(ctx, openid):
    """A session for the account bound to this WeChat user, or {"bound": False}."""
    openid = load(WechatOpenIdSchema(), {"openid": openid})["openid"]
    binding = ctx.db["wechat_bindings"].find_one({"openid": openid}, {"_id": 0})
    if binding is None:
        return {"bound": False}
    account = ctx.db["accounts"].find_one({"id": binding["account_id"]}, {"_id": 0})
    if account is None or not account.get("active", True):
        # Not NotAuthenticated: the gateway would send the person round the OAuth loop again.
        raise Forbidden("绑定的账户已停用，请联系机构主账户或管理员")
    ctx.db["wechat_bindings"].update_one({"openid": openid}, {"$set": {"last_login_at": ctx.now}})
    return {"bound": True, **issue_session(ctx, account, via=WECHAT, openid=openid)}


def bind_wechat(ctx, openid, username, password, source=None):
    data = load(WechatBindSchema(), {"openid": openid, "username": username, "password": password})
    openid = data["openid"]
    account = authenticate(ctx, data["username"], data["password"], source)
    if not may_bind_wechat(account.get("roles")):
        raise Forbidden("监管账户和系统管理员账户不能绑定微信，请在电脑端登录使用", field="username")
    bindings = ctx.db["wechat_bindings"]
    actor = actor_of(account).to_dict()
    current = bindings.find_one({"openid": openid}, {"_id": 0})
    if current is not None and current["account_id"] == account["id"]:
        bindings.update_one({"openid": openid}, {"$set": {"bound_at": ctx.now}})
    else:
        old = bindings.find_one({"account_id": account["id"]}, {"_id": 0})
        if old is not None:
            _remove(ctx, old, actor, "replaced_by_new_wechat_user")
        if current is not None:
            _remove(ctx, current, actor, "wechat_user_bound_another_account")
        doc = {"openid": openid, "account_id": account["id"], "bound_at": ctx.now,
               "last_login_at": None}
        ev = ctx.events.new("account.wechat_bound", account["id"], _event_data(account), actor=actor)
        try:
            bindings.insert_one(to_document(staged(doc, ev)))
        except DuplicateKeyError:
            raise Conflict("该微信用户或账户刚刚完成了另一次绑定，请重试") from None
        ctx.events.flush("wechat_bindings", {"openid": openid}, ev)
        Audit(ctx.db).record("account", account["id"], "wechat_bound", actor, ctx.now,
                             openid_hint=openid_hint(openid),
                             replaced_account_id=current["account_id"] if current else None)
    session = issue_session(ctx, account, via=WECHAT, openid=openid)
    return {**session, "binding": _binding_view(bindings.find_one({"openid": openid}, {"_id": 0}))}


def unbind_wechat(ctx, actor: Actor):
    _require_account(actor)
    binding = ctx.db["wechat_bindings"].find_one({"account_id": actor.account_id}, {"_id": 0})
    if binding is None:
        raise NotFound("当前账户未绑定微信")
    _remove(ctx, binding, actor.to_dict(), "unbound_by_owner")
    return {"ok": True}


def wechat_binding(ctx, actor: Actor):
    """Who the actor is (account, roles, institution or enterprise) and their WeChat binding."""
    _require_account(actor)
    account = get(ctx.db["accounts"], actor.account_id, "账户")
    binding = ctx.db["wechat_bindings"].find_one({"account_id": account["id"]}, {"_id": 0})
    institution = enterprise = None
    if account.get("institution_id"):
        inst = ctx.db["institutions"].find_one({"id": account["institution_id"]}, {"_id": 0})
        if inst:
            institution = {"id": inst["id"], "name": inst.get("name"), "type": inst.get("type"),
                           "type_label": INSTITUTION_TYPES.get(inst.get("type"), inst.get("type"))}
    if account.get("enterprise_id"):
        ent = ctx.db["enterprises"].find_one({"id": account["enterprise_id"]}, {"_id": 0})
        if ent:
            enterprise = {"id": ent["id"], "name": ent.get("name")}
    return {"bound": binding is not None, "binding": _binding_view(binding),
            "may_bind": may_bind_wechat(account.get("roles")),
            "account": public_account(account), "institution": institution,
            "enterprise": enterprise}


def _require_account(actor):
    if actor.is_anonymous or not actor.account_id:
        raise NotAuthenticated("请先登录")


def _remove(ctx, binding, actor, reason):
    """Delete a binding, end the sessions its WeChat user opened, record and announce it."""
    ctx.db["wechat_bindings"].delete_one({"openid": binding["openid"]})
    end_sessions(ctx, {"openid": binding["openid"]})
    account = ctx.db["accounts"].find_one({"id": binding["account_id"]}, {"_id": 0})
    Audit(ctx.db).record("account", binding["account_id"], "wechat_unbound", actor, ctx.now,
                         openid_hint=openid_hint(binding["openid"]), reason=reason)
    if account is not None:
        # A delete leaves no document to carry the event: the account it is about carries it.
        ev = ctx.events.new("account.wechat_unbound", account["id"], {**_event_data(account), "reason": reason},
                            actor=actor)
        ctx.db["accounts"].update_one({"id": account["id"]}, pending({}, ev))
        ctx.events.flush("accounts", account["id"], ev)


def _event_data(account):
    return {"account_id": account["id"], "username": account["username"],
            "roles": list(account.get("roles", [])),
            "institution_id": account.get("institution_id"),
            "enterprise_id": account.get("enterprise_id")}


def _binding_view(binding):
    if binding is None:
        return None
    return to_wire({"openid_hint": openid_hint(binding["openid"]), "bound_at": binding["bound_at"],
                    "last_login_at": binding.get("last_login_at")})

