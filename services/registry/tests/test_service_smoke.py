from tests import builders as b


def test_the_registry_answers_health_and_registers_an_institution_as_a_draft(registry, admin):
    assert registry.health()["status"] == "ok"
    out = registry.register_institution({"institution": b.institution(), "account": b.account("qingyuan01")})
    assert out["institution"]["status"] == "draft"
    assert out["account"]["roles"] == ["institution_admin"]


def test_the_registry_runs_on_the_frozen_clock(registry):
    assert registry.health()["time"] == "2026-06-15T02:00:00+00:00"
