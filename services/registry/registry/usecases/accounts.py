"""Accounts, login sessions and sub-accounts."""
import hashlib
import logging
import os
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError, InvalidHashError

from emss_common import sessions
from emss_common.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed
from emss_common.outbox import staged
from emss_common.serial import to_wire
from emss_common.validation import load

from ..domain.accounts import LockoutPolicy
from ..domain.roles import (Actor, INSTITUTION_ADMIN, REGULATOR, SYSADMIN, ROLE_LABELS)
from ..schemas import (LoginSchema, SubAccountSchema, RegulatorAccountSchema, PasswordChangeSchema)
from ..storage import get, insert, new_id

log = logging.getLogger(__name__)
_hasher = PasswordHasher()


def lockout(ctx):
    return LockoutPolicy(int(ctx.config.get("EMSS_LOGIN_MAX_FAILURES", 5)),
                         int(ctx.config.get("EMSS_LOGIN_LOCK_MINUTES", 15)),
                         int(ctx.config.get("EMSS_LOGIN_ACCOUNT_CEILING", 100)))


def hash_password(password):
    return _hasher.hash(password)


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def public_account(doc):
    out = {k: doc.get(k) for k in ("id", "username", "name", "roles", "institution_id",
                                   "enterprise_id", "district", "staff_id", "active", "created_at")}
    out["role_labels"] = [ROLE_LABELS.get(r, r) for r in doc.get("roles", [])]
    return to_wire(out)


def actor_of(account):
    return Actor(account_id=account["id"], username=account["username"],
                 roles=frozenset(account["roles"]), institution_id=account.get("institution_id"),
                 enterprise_id=account.get("enterprise_id"), district=account.get("district"),
                 staff_id=account.get("staff_id"), name=account.get("name"))


def create_account(ctx, account, roles, id_=None, **scope):
    doc = {"id": id_ or new_id(), "username": account["username"],
           "password_hash": hash_password(account["password"]), "name": account["name"],
           "roles": sorted(roles), "active": True, "created_at": ctx.now, **{k: v for k, v in scope.items()}}
    ev = ctx.events.new("account.created", doc["id"], {"account": public_account(doc)})
    insert(ctx.db["accounts"], staged(doc, ev), unique_field="username")
    ctx.events.flush("accounts", doc["id"], ev)
    return doc


def bootstrap_admin(ctx):
    """The first system administrator, so someone can create regulators."""
    username = ctx.config.get("EMSS_ADMIN_USERNAME", "admin")
    if ctx.db["accounts"].find_one({"username": username}):
        return None
    password = ctx.config.get("EMSS_ADMIN_PASSWORD")
    generated = password is None
    if generated:
        password = secrets.token_urlsafe(12) + "A1!"
    doc = {"id": new_id(), "username": username, "password_hash": hash_password(password),
           "name": "系统管理员", "roles": [SYSADMIN], "active": True, "created_at": ctx.now}
    insert(ctx.db["accounts"], doc, unique_field="username")
    if generated:
        data_dir = ctx.config.get("EMSS_DATA_DIR")
        if data_dir and data_dir != ":memory:":
            os.makedirs(data_dir, exist_ok=True)
            path = os.path.join(data_dir, "admin-password.txt")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
                fh.write(f"{username}\n{password}\n")
            log.warning("created system administrator %r; password written to %s", username, path)
    return doc


def login(ctx, payload, source=None):
    """`source`: the client's address as the gateway sees it (None: unknown, one shared bucket)."""
    data = load(LoginSchema(), payload)
    return issue_session(ctx, authenticate(ctx, data["username"], data["password"], source))


ALL_SOURCES = "*"
_dummy_hashes = {}


def _dummy_hash():
    """A hash to verify against for an unknown username, made by the hasher in use, so that the
    answer costs the same time as for a known one."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes.clear()
        _dummy_hashes[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


def authenticate(ctx, username, password, source=None):
    """The active account with this username and password, counting failures toward lock-out per
    (username, source) (domain/accounts.py). Shared by login and WeChat binding, so a binding form
    is no way around the lock. Unknown usernames get the same answers, after the same work."""
    policy = lockout(ctx)
    source = str(source or "unknown")[:64]
    failures = ctx.db["login_failures"]
    counts = {row["source"]: row for row in failures.find(
        {"username": username, "source": {"$in": [source, ALL_SOURCES]}}, {"_id": 0})}
    mine, everyone = counts.get(source, {}), counts.get(ALL_SOURCES, {})
    if (policy.is_locked(mine.get("failures", 0), mine.get("last_failure"), ctx.now)
            or policy.is_locked(everyone.get("failures", 0), everyone.get("last_failure"), ctx.now,
                                policy.account_ceiling)):
        raise NotAuthenticated(f"登录失败次数过多，已临时锁定，请{policy.lock_minutes}分钟后再试")
    account = ctx.db["accounts"].find_one({"username": username}, {"_id": 0})
    try:
        _hasher.verify(account["password_hash"] if account else _dummy_hash(), password)
        if account is None:
            raise VerifyMismatchError()
    except (VerifyMismatchError, InvalidHashError):
        for key in (source, ALL_SOURCES):
            _count_failure(ctx, policy, username, key)
        raise NotAuthenticated(f"用户名或密码错误，连续失败{policy.max_failures}次将锁定"
                               f"{policy.lock_minutes}分钟") from None
    if not account.get("active", True):
        raise NotAuthenticated("账户已停用，请联系机构主账户或管理员")
    # Success clears this source's count only: the ceiling over all sources keeps counting.
    failures.delete_one({"username": username, "source": source})
    return account


def _count_failure(ctx, policy, username, source):
    failures = ctx.db["login_failures"]
    # Atomic while the previous failures still count; otherwise this one starts the count afresh.
    done = failures.update_one({"username": username, "source": source,
                                "last_failure": {"$gt": ctx.now - policy.period}},
                               {"$inc": {"failures": 1}, "$set": {"last_failure": ctx.now}})
    if not done.matched_count:
        failures.update_one({"username": username, "source": source},
                            {"$set": {"failures": 1, "last_failure": ctx.now}}, upsert=True)
    if source == ALL_SOURCES:  # unknown usernames leave rows too: drop those no longer counting
        failures.delete_many({"last_failure": {"$lte": ctx.now - policy.period}})


def issue_session(ctx, account, **origin):
    """A new session token for the account; `origin` (e.g. via/openid) is kept on the session
    so that unbinding a WeChat user can end the sessions it opened."""
    token = secrets.token_urlsafe(32)
    hours = float(ctx.config.get("EMSS_SESSION_HOURS", 8))
    expires = ctx.now + timedelta(hours=hours)
    ctx.db["sessions"].insert_one({"token_hash": _token_hash(token), "account_id": account["id"],
                                   "created_at": ctx.now, "expires_at": expires, "revoked": False,
                                   **origin})
    return {"token": token, "expires_at": expires.isoformat(),
            "actor": actor_of(account).to_dict()}


def resolve_session(ctx, token):
    if not token:
        raise NotAuthenticated("请先登录")
    session = ctx.db["sessions"].find_one({"token_hash": _token_hash(token)})
    if session is None or session.get("revoked"):
        raise NotAuthenticated("登录已失效，请重新登录")
    expires = session["expires_at"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=ctx.now.tzinfo)
    if expires <= ctx.now:
        raise NotAuthenticated("登录已过期，请重新登录")
    account = ctx.db["accounts"].find_one({"id": session["account_id"]}, {"_id": 0})
    if account is None or not account.get("active", True):
        raise NotAuthenticated("账户已停用")
    return {"actor": actor_of(account).to_dict(), "expires_at": expires.isoformat()}


def logout(ctx, token):
    end_sessions(ctx, {"token_hash": _token_hash(token or "")})
    return {"ok": True}


def end_sessions(ctx, query, account_id=None):
    """Revoke the sessions matching `query` and tell every gateway process to forget them now
    (they cache resolutions). `account_id`: every session of that account ends, also one opened
    while this runs. If the broker is away the gateways are not caching either (auth.py)."""
    query = {**query, "revoked": False}
    hashes = [s["token_hash"] for s in ctx.db["sessions"].find(query, {"token_hash": 1, "_id": 0})]
    ctx.db["sessions"].update_many(query, {"$set": {"revoked": True, "revoked_at": ctx.now}})
    if ctx.broadcast is None or not (hashes or account_id):
        return
    try:
        ctx.broadcast({"type": sessions.REVOKED, "token_hashes": hashes, "account_id": account_id})
    except Exception:  # noqa: BLE001 - the store already says revoked; gateways' TTL is the backstop
        log.exception("could not broadcast the revocation of %d session(s)", len(hashes))


def change_password(ctx, actor, payload):
    data = load(PasswordChangeSchema(), payload)
    account = get(ctx.db["accounts"], actor.account_id, "账户")
    try:
        _hasher.verify(account["password_hash"], data["old_password"])
    except (VerifyMismatchError, InvalidHashError):
        raise ValidationFailed("原密码不正确", field="old_password") from None
    ctx.db["accounts"].update_one({"id": account["id"]},
                                  {"$set": {"password_hash": hash_password(data["new_password"])}})
    # Other sessions of this account end: a changed password must lock out whoever had the old one.
    end_sessions(ctx, {"account_id": account["id"]}, account_id=account["id"])
    return {"ok": True}


def create_sub_account(ctx, actor, payload):
    if not actor.has(INSTITUTION_ADMIN):
        raise Forbidden("只有机构主账户可以创建子账户")
    data = load(SubAccountSchema(), payload)
    institution = get(ctx.db["institutions"], actor.institution_id, "机构")
    if data.get("staff_id"):
        staff = next((s for s in institution.get("staff", []) if s["id"] == data["staff_id"]), None)
        if staff is None:
            raise ValidationFailed("关联人员不是本机构备案人员", field="staff_id")
        if staff.get("resigned"):
            raise ValidationFailed("关联人员已离职", field="staff_id")
        if "field_staff" in data["roles"] and staff.get("technical_role") != "om_staff":
            raise ValidationFailed("运维人员账户须关联技术岗位为“运维人员”的人员", field="staff_id")
        # One person, one account: field records are signed by the person behind it.
        if ctx.db["accounts"].find_one({"staff_id": data["staff_id"], "active": True}):
            raise ValidationFailed("该人员已有启用中的账户", field="staff_id")
    doc = create_account(ctx, data, data["roles"], institution_id=institution["id"],
                         enterprise_id=None, district=institution.get("district"),
                         staff_id=data.get("staff_id"), parent_account_id=actor.account_id)
    return public_account(doc)


def list_sub_accounts(ctx, actor):
    if not actor.has(INSTITUTION_ADMIN):
        raise Forbidden("只有机构主账户可以查看子账户")
    rows = ctx.db["accounts"].find({"institution_id": actor.institution_id,
                                    "parent_account_id": actor.account_id}, {"_id": 0})
    return [public_account(r) for r in rows.sort([("created_at", 1)])]


def set_sub_account_active(ctx, actor, account_id, active):
    if not actor.has(INSTITUTION_ADMIN):
        raise Forbidden("只有机构主账户可以停用或启用子账户")
    account = get(ctx.db["accounts"], account_id, "账户")
    if account.get("parent_account_id") != actor.account_id:
        raise NotFound("账户不存在", field="id")
    ctx.db["accounts"].update_one({"id": account_id}, {"$set": {"active": bool(active)}})
    if not active:
        end_sessions(ctx, {"account_id": account_id}, account_id=account_id)
    account["active"] = bool(active)
    return public_account(account)


def create_regulator(ctx, actor, payload):
    if not actor.has(SYSADMIN):
        raise Forbidden("只有系统管理员可以创建监管账户")
    data = load(RegulatorAccountSchema(), payload)
    doc = create_account(ctx, data, [REGULATOR], district=data["district"])
    return public_account(doc)


def list_accounts(ctx, actor, role=None):
    if not actor.has(SYSADMIN):
        raise Forbidden("只有系统管理员可以查看全部账户")
    query = {"roles": role} if role else {}
    return [public_account(r) for r in ctx.db["accounts"].find(query, {"_id": 0}).sort([("created_at", 1)])]
