"""Login lock-out at the use-case level (embedded store, frozen clock, no broker): the answers do
not tell which usernames exist, and failures are counted per username and source, so a guesser
elsewhere cannot lock a person out of their own phone (issue 10, defect 6)."""
import pytest

from emss_common.clock import FrozenClock
from emss_common.errors import NotAuthenticated
from registry.storage import INDEXES
from registry.usecases import Context, accounts
from emss_common.nameko_deps import COMMON_INDEXES
from emss_common.store import ensure_indexes, merge_indexes, open_database
from tests.fakes import RecordedEvents

PASSWORD = "Field#Pass2026"
WRONG = "Wrong#Pass2026"
ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def ctx(store_config):
    db = open_database("registry", store_config)
    ensure_indexes(db, merge_indexes(COMMON_INDEXES, INDEXES))
    clock = FrozenClock("2026-11-23T10:00:00+08:00")
    ctx = Context(db, clock, RecordedEvents("registry", db, clock),
                  {"EMSS_LOGIN_ACCOUNT_CEILING": "12"})
    accounts.create_account(ctx, {"username": "zhang01", "password": PASSWORD, "name": "张明"}, ["reviewer"])
    return ctx


def answer(ctx, username, password=WRONG, source=ATTACKER):
    try:
        accounts.login(ctx, {"username": username, "password": password}, source)
    except NotAuthenticated as exc:
        return type(exc).__name__, exc.to_dict()
    return "ok"


def test_an_unknown_username_gets_the_same_answers_as_a_known_one_all_the_way_to_the_lock(ctx):
    known = [answer(ctx, "zhang01") for _ in range(7)]
    unknown = [answer(ctx, "nobody01") for _ in range(7)]
    assert known == unknown
    assert known[0] != known[-1]  # the sixth and seventh are the lock's answer, for both


def test_an_unknown_username_costs_a_password_check_like_a_known_one(ctx, monkeypatch):
    checks = []
    real = accounts._hasher

    class Counting:
        def hash(self, password):
            return real.hash(password)

        def verify(self, hashed, password):
            checks.append(hashed)
            return real.verify(hashed, password)
    monkeypatch.setattr(accounts, "_hasher", Counting())
    answer(ctx, "zhang01")
    answer(ctx, "nobody01")
    assert len(checks) == 2


def test_a_guesser_elsewhere_locks_only_their_own_attempts(ctx):
    for _ in range(5):
        answer(ctx, "zhang01", source=ATTACKER)
    assert answer(ctx, "zhang01", PASSWORD, source=ATTACKER) != "ok"  # locked, even the right password
    assert answer(ctx, "zhang01", PASSWORD, source=OWNER) == "ok"      # the owner's phone still signs in


def test_the_lock_runs_out_after_fifteen_minutes(ctx):
    for _ in range(5):
        answer(ctx, "zhang01")
    ctx.clock.advance(minutes=14, seconds=59)
    assert answer(ctx, "zhang01", PASSWORD) != "ok"
    ctx.clock.advance(seconds=1)
    assert answer(ctx, "zhang01", PASSWORD) == "ok"


def test_guessing_spread_over_many_sources_meets_a_ceiling_for_the_username(ctx):
    # Configured ceiling 12: three addresses guess four times each, none reaching its own lock.
    for n in range(3):
        for _ in range(4):
            answer(ctx, "zhang01", source=f"203.0.113.{n + 20}")
    assert answer(ctx, "zhang01", PASSWORD, source=OWNER) != "ok"
    ctx.clock.advance(minutes=15)
    assert answer(ctx, "zhang01", PASSWORD, source=OWNER) == "ok"


def test_a_success_clears_the_count_of_its_own_source_only(ctx):
    for _ in range(4):
        answer(ctx, "zhang01", source=OWNER)
    for _ in range(4):
        answer(ctx, "zhang01", source=ATTACKER)
    assert answer(ctx, "zhang01", PASSWORD, source=OWNER) == "ok"
    answer(ctx, "zhang01", source=OWNER)
    assert answer(ctx, "zhang01", PASSWORD, source=OWNER) == "ok"     # one failure, not five
    answer(ctx, "zhang01", source=ATTACKER)
    assert answer(ctx, "zhang01", PASSWORD, source=ATTACKER) != "ok"  # the attacker's fifth
