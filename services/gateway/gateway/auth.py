"""Who is calling: the session token from the cookie (pages) or the bearer header (API).

Tokens are opaque; the registry owns sessions. Resolutions are cached briefly so that a request
still crosses one RPC hop on its hot path; logout evicts at once, elsewhere within the TTL.
"""
import hashlib
import hmac
import time
from functools import wraps

from flask import current_app, g, request

from emss_common.errors import Forbidden, NotAuthenticated

COOKIE = "emss_session"

# Who may call a route: a list of roles, or one of these.
PUBLIC = "public"
AUTHENTICATED = "authenticated"


class SessionCache:
    def __init__(self, ttl):
        self.ttl = ttl
        self._entries = {}

    def get(self, token):
        entry = self._entries.get(token)
        if entry and time.monotonic() - entry[1] < self.ttl:
            return entry[0]
        self._entries.pop(token, None)
        return None

    def put(self, token, actor):
        if len(self._entries) > 10000:
            self._entries.clear()
        self._entries[token] = (actor, time.monotonic())

    def evict(self, token):
        self._entries.pop(token, None)


def request_token():
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip(), "bearer"
    token = request.cookies.get(COOKIE)
    return (token, "cookie") if token else (None, None)


def current_actor():
    """The actor dict, or None for an anonymous request."""
    if "actor" in g:
        return g.actor
    token, via = request_token()
    actor = None
    if token:
        cache = current_app.extensions["emss_sessions"]
        actor = cache.get(token)
        if actor is None:
            try:
                actor = current_app.extensions["emss_services"].registry.resolve_session(token)["actor"]
                cache.put(token, actor)
            except NotAuthenticated:
                actor = None
    g.actor, g.auth_via = actor, via if actor else None
    return actor


def check_roles(allowed):
    actor = current_actor()
    if allowed == PUBLIC:
        return actor
    if actor is None:
        raise NotAuthenticated("请先登录")
    if allowed == AUTHENTICATED:
        return actor
    if not set(actor.get("roles", [])).intersection(allowed):
        raise Forbidden("当前账户无权执行此操作")
    return actor


def csrf_token():
    token, _ = request_token()
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, (token or "anonymous").encode(), hashlib.sha256).hexdigest()


def check_csrf():
    """Cookie-authenticated writes must carry the token rendered into our own forms."""
    if request.method in ("GET", "HEAD", "OPTIONS") or g.get("auth_via") != "cookie":
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not hmac.compare_digest(sent, csrf_token()):
        raise Forbidden("页面已过期，请刷新后重试（CSRF 校验失败）")


def requires(allowed):
    def wrap(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            actor = check_roles(allowed)
            check_csrf()
            return fn(actor, *args, **kwargs)
        inner.emss_roles = allowed
        return inner
    return wrap
