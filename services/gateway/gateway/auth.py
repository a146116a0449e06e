"""Who is calling: the session token from the cookie (pages) or the bearer header (API).

Tokens are opaque; the registry owns sessions. Resolutions are cached so that a read still crosses
one RPC hop on its hot path, but revocation must reach every gateway process at once:
- the registry broadcasts `session.revoked` (logout, disable, password change, unbinding; see
  emss_common/sessions.py); every gateway process listens on its own exclusive auto-delete queue
  and evicts those sessions;
- the cache is trusted only while that listener is connected (emptied when it (re)connects, since
  notices sent meanwhile are lost), and a resolution that raced a notice is not cached;
- a request that changes something (any method but GET/HEAD/OPTIONS) always asks the registry, so
  not even the broadcast's few milliseconds let a disabled account act.
The TTL is only a backstop for a notice the registry could not send (it crashed in between).
"""
import hashlib
import hmac
import logging
import socket
import threading
import time
import uuid
from functools import wraps

from flask import current_app, g, request
from kombu import Connection, Queue

from emss_common import sessions
from emss_common.errors import Forbidden, NotAuthenticated

log = logging.getLogger(__name__)

COOKIE = "emss_session"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# Who may call a route: a list of roles, or one of these.
PUBLIC = "public"
AUTHENTICATED = "authenticated"


def token_hash(token):
    """How the registry names a session in revocation notices (it never sees tokens again)."""
    return hashlib.sha256(token.encode()).hexdigest()


class SessionCache:
    """Resolved sessions by token hash. `live` is False while no revocation listener is connected:
    then nothing is served from the cache."""

    def __init__(self, ttl):
        self.ttl = ttl
        self.live = False
        self.generation = 0  # bumped by every eviction: a resolution begun before it is stale
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, token):
        if not self.live:
            return None
        key = token_hash(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry and time.monotonic() - entry[1] < self.ttl:
                return entry[0]
            self._entries.pop(key, None)
        return None

    def put(self, token, actor, generation):
        """Keep a resolution begun at `generation`, unless a revocation arrived since."""
        with self._lock:
            if not self.live or generation != self.generation:
                return
            if len(self._entries) > 10000:
                self._entries.clear()
            self._entries[token_hash(token)] = (actor, time.monotonic())

    def evict(self, token):
        self.revoke([token_hash(token)] if token else [])

    def revoke(self, hashes=(), account_id=None):
        """Drop the named sessions, and every session of `account_id` when it is given."""
        with self._lock:
            self.generation += 1
            for key in hashes:
                self._entries.pop(key, None)
            if account_id:
                for key in [k for k, (actor, _) in self._entries.items()
                            if actor.get("account_id") == account_id]:
                    del self._entries[key]

    def set_live(self, live):
        with self._lock:
            self.generation += 1
            self._entries.clear()
            self.live = live


class RevocationListener:
    """Receives the registry's `session.revoked` broadcasts for this process (like a nameko
    BROADCAST handler: a queue of its own, gone when the process is)."""

    def __init__(self, amqp_uri, cache, retry_seconds=1.0):
        self.amqp_uri, self.cache, self.retry_seconds = amqp_uri, cache, retry_seconds
        self.queue_name = f"gateway-session-revoked-{uuid.uuid4().hex}"
        self._stopped = threading.Event()
        self._thread = None
        self._bound = False

    def start(self):
        self._thread = threading.Thread(target=self._run, name="session-revocations", daemon=True)
        self._thread.start()
        return self

    def close(self):
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.cache.set_live(False)

    def _run(self):
        failures = 0
        while not self._stopped.is_set():
            self._bound = False
            try:
                self._consume()
            except Exception as exc:  # noqa: BLE001 - broker away: serve uncached until it is back
                failures = 1 if self._bound else failures + 1
                if failures == 1 and not self._stopped.is_set():
                    log.warning("session revocation listener disconnected (%s); sessions are "
                                "checked with the registry on every request until it reconnects", exc)
            finally:
                self.cache.set_live(False)
            self._stopped.wait(min(30.0, self.retry_seconds * 2 ** max(0, failures - 1)))

    def _consume(self):
        queue = Queue(self.queue_name, exchange=sessions.EXCHANGE, exclusive=True,
                      auto_delete=True, durable=False)
        with Connection(self.amqp_uri, heartbeat=30) as conn:
            with conn.Consumer(queue, callbacks=[self._on_message], accept=["json"]):
                # Bound from here on: notices sent before were missed, so start with an empty cache.
                self.cache.set_live(True)
                self._bound = True
                while not self._stopped.is_set():
                    try:
                        conn.drain_events(timeout=1)
                    except socket.timeout:
                        conn.heartbeat_check()

    def _on_message(self, body, message):
        try:
            body = body if isinstance(body, dict) else {}
            self.cache.revoke(body.get("token_hashes") or (), body.get("account_id"))
        finally:
            message.ack()


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
        # A write asks the registry every time: no cached session may outlive its revocation.
        actor = cache.get(token) if request.method in SAFE_METHODS else None
        if actor is None:
            generation = cache.generation
            try:
                actor = current_app.extensions["emss_services"].registry.resolve_session(token)["actor"]
                cache.put(token, actor, generation)
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
