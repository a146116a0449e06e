"""The gateway's session cache serves nothing it could not hear revoked (gateway/auth.py)."""
from gateway.auth import SessionCache, token_hash

ACTOR = {"account_id": "a1", "username": "zhang01", "roles": ["reviewer"]}


def live_cache():
    cache = SessionCache(ttl=30)
    cache.set_live(True)
    return cache


def test_nothing_is_cached_while_no_revocation_listener_is_connected():
    cache = SessionCache(ttl=30)
    cache.put("tok", ACTOR, cache.generation)
    assert cache.get("tok") is None


def test_a_revocation_by_account_drops_every_session_of_that_account():
    cache = live_cache()
    cache.put("phone", ACTOR, cache.generation)
    cache.put("desk", ACTOR, cache.generation)
    cache.put("other", {**ACTOR, "account_id": "a2"}, cache.generation)
    cache.revoke(account_id="a1")
    assert cache.get("phone") is None and cache.get("desk") is None
    assert cache.get("other") is not None


def test_a_revocation_by_token_hash_drops_that_session():
    cache = live_cache()
    cache.put("tok", ACTOR, cache.generation)
    cache.revoke([token_hash("tok")])
    assert cache.get("tok") is None


def test_a_resolution_that_raced_a_revocation_is_not_kept():
    cache = live_cache()
    begun = cache.generation          # the registry is being asked...
    cache.revoke(account_id="a1")     # ...while the account is disabled
    cache.put("tok", ACTOR, begun)
    assert cache.get("tok") is None


def test_reconnecting_the_listener_forgets_everything():
    cache = live_cache()
    cache.put("tok", ACTOR, cache.generation)
    cache.set_live(False)
    cache.set_live(True)
    assert cache.get("tok") is None
