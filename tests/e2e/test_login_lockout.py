"""Login lock-out through the gateway (issue 10, defect 6): the same answers for unknown usernames,
and a lock per username and client address, so a guesser elsewhere cannot lock a person out of
their own phone. The address is the gateway's view of the client: X-Forwarded-For counts only
behind proxies the operator declared (EMSS_TRUSTED_PROXIES), so a guesser cannot shed a lock by
writing the header."""
from tests import builders as b

PASSWORD = "Field#Pass2026"
WRONG = "Wrong#Pass2026"
ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def attempt(client, username, password=WRONG, address=ATTACKER, headers=None):
    resp = client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {})
    return resp.status_code, resp.get_json()


def test_guessing_from_one_address_locks_that_address_only(client, anonymous):
    status, out = anonymous.post("/institutions", {"institution": b.institution(), "account": b.account("lock_inst")})
    assert status == 201, out
    for _ in range(5):
        assert attempt(client, "lock_inst")[0] == 401
    status, body = attempt(client, "lock_inst", PASSWORD)
    assert status == 401 and "锁定" in body["error"]["message"], body
    # Writing X-Forwarded-For does not make the guesser someone else: no proxy is trusted here.
    status, _ = attempt(client, "lock_inst", PASSWORD, headers={"X-Forwarded-For": OWNER})
    assert status == 401

    status, body = attempt(client, "lock_inst", PASSWORD, address=OWNER)
    assert status == 200 and body["token"], body


def test_an_unknown_username_gets_the_same_answers_as_a_known_one(client, anonymous):
    status, out = anonymous.post("/institutions", {"institution": b.institution(), "account": b.account("real_inst")})
    assert status == 201, out
    known = [attempt(client, "real_inst") for _ in range(6)]
    unknown = [attempt(client, "ghost_inst") for _ in range(6)]
    assert known == unknown
    assert known[0] != known[-1]  # the sixth is the lock's answer, for both
