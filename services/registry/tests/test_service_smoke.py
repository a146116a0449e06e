from tests import builders as b


def test_health_and_register(registry, admin):
    assert registry.health()["status"] == "ok"
    out = registry.register_institution({"institution": b.institution(), "account": b.account("qingyuan01")})
    assert out["institution"]["status"] == "draft"
