"""Bad input through RabbitMQ: the caller gets a typed error naming the field, and nothing is stored."""
import pytest

from emss_common.errors import Conflict, NotAuthenticated, ValidationFailed
from tests import builders as b


def _count(registry, admin):
    return registry.list_institutions(admin, {})["total"], len(registry.list_accounts(admin))


def _register(registry, institution, account=None):
    return registry.register_institution({"institution": institution,
                                          "account": account or b.account("badinput01")})


def test_a_missing_name_is_named_and_nothing_is_stored(registry, admin):
    before = _count(registry, admin)
    body = b.institution()
    del body["name"]
    with pytest.raises(ValidationFailed) as exc:
        _register(registry, body)
    assert exc.value.field == "institution.name"
    assert exc.value.message == "必填项"
    assert exc.value.details == {"institution": {"name": ["必填项"]}}
    assert _count(registry, admin) == before
    with pytest.raises(NotAuthenticated):  # the account was not created either
        registry.login({"username": "badinput01", "password": "Field#Pass2026"})


def test_an_invalid_credit_code_is_named_by_its_nested_path(registry, admin):
    code = b.credit_code()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    before = _count(registry, admin)
    with pytest.raises(ValidationFailed) as exc:
        _register(registry, b.institution(code=wrong))
    assert exc.value.field == "institution.credit_code"
    assert "校验位错误" in exc.value.message
    assert _count(registry, admin) == before


def test_a_credit_code_of_the_wrong_length_is_refused(registry):
    with pytest.raises(ValidationFailed) as exc:
        _register(registry, b.institution(code="91310115MA1H0000"))
    assert exc.value.field == "institution.credit_code"
    assert "长度错误" in exc.value.message


def test_a_duplicate_credit_code_is_a_conflict_and_the_second_account_is_not_created(registry, admin):
    code = b.credit_code()
    _register(registry, b.institution(code=code), b.account("first001"))
    before = _count(registry, admin)
    with pytest.raises(Conflict) as exc:
        _register(registry, b.institution(name="另一家公司", code=code), b.account("second001"))
    assert exc.value.field == "institution.credit_code"
    assert _count(registry, admin) == before


def test_a_duplicate_username_is_a_conflict_and_no_institution_is_stored(registry, admin):
    _register(registry, b.institution(), b.account("taken001"))
    before = _count(registry, admin)
    with pytest.raises(Conflict) as exc:
        _register(registry, b.institution(), b.account("taken001"))
    assert exc.value.field == "account.username"
    assert _count(registry, admin) == before


@pytest.mark.parametrize("change, field", [
    ({"type": "laboratory"}, "institution.type"),
    ({"district": "朝阳区"}, "institution.district"),
    ({"contact_phone": "12345"}, "institution.contact_phone"),
    ({"capabilities": []}, "institution.capabilities"),
    ({"capabilities": ["flying"]}, "institution.capabilities.0"),
    ({"email": "not-an-email"}, "institution.email"),
    ({"registered_capital": "-1"}, "institution.registered_capital"),
    ({"name": 42}, "institution.name"),
    ({"unexpected": "x"}, "institution.unexpected"),
])
def test_each_bad_basic_field_is_named(registry, change, field):
    with pytest.raises(ValidationFailed) as exc:
        _register(registry, {**b.institution(), **change})
    assert exc.value.field == field


@pytest.mark.parametrize("account, field", [
    ({"username": "ab", "password": "Field#Pass2026", "name": "张明"}, "account.username"),
    ({"username": "weakpass01", "password": "password", "name": "张明"}, "account.password"),
    ({"username": "noname01", "password": "Field#Pass2026"}, "account.name"),
])
def test_a_bad_account_is_named(registry, account, field):
    with pytest.raises(ValidationFailed) as exc:
        _register(registry, b.institution(), account)
    assert exc.value.field == field


def test_a_payload_that_is_not_an_object_is_refused(registry):
    with pytest.raises(ValidationFailed):
        registry.register_institution(["not", "an", "object"])
    with pytest.raises(ValidationFailed) as exc:
        registry.register_institution({"institution": "text", "account": b.account("x0001")})
    assert exc.value.field == "institution"


@pytest.fixture
def drafted(registry):
    out = _register(registry, b.institution(), b.account("drafter01"))
    actor = registry.login({"username": "drafter01", "password": "Field#Pass2026"})["actor"]
    return out["institution"]["id"], actor


def _staff_count(registry, actor, iid):
    return len(registry.get_institution(actor, iid)["staff"])


@pytest.mark.parametrize("bad_date", ["2028/12/31", "31-12-2028", "2028-13-01", "明年", 20281231])
def test_a_certificate_date_in_the_wrong_format_is_named_and_the_staff_member_is_not_added(
        registry, drafted, bad_date):
    iid, actor = drafted
    body = b.staff()
    body["certificate"]["valid_until"] = bad_date
    with pytest.raises(ValidationFailed) as exc:
        registry.add_institution_item(actor, iid, "staff", body)
    assert exc.value.field == "certificate.valid_until"
    assert exc.value.message == "日期格式应为 YYYY-MM-DD"
    assert _staff_count(registry, actor, iid) == 0


def test_a_certificate_ending_before_it_starts_is_refused(registry, drafted):
    iid, actor = drafted
    body = b.staff()
    body["certificate"]["valid_until"] = "2023-12-31"
    with pytest.raises(ValidationFailed) as exc:
        registry.add_institution_item(actor, iid, "staff", body)
    assert exc.value.field == "certificate.valid_until"


@pytest.mark.parametrize("change, field", [
    ({"id_number": "310101199003070011"}, "id_number"),
    ({"certificate": None}, "certificate"),          # om_staff must hold a certificate
    ({"technical_role": "boss"}, "technical_role"),
    ({"education": "小学"}, "education"),
])
def test_a_bad_staff_member_is_named(registry, drafted, change, field):
    iid, actor = drafted
    with pytest.raises(ValidationFailed) as exc:
        registry.add_institution_item(actor, iid, "staff", {**b.staff(), **change})
    assert exc.value.field == field
    assert _staff_count(registry, actor, iid) == 0


def test_a_technical_lead_needs_no_certificate(registry, drafted):
    iid, actor = drafted
    out = registry.add_institution_item(actor, iid, "staff",
                                        {**b.staff(role="technical_lead"), "certificate": None})
    assert out["staff"][0]["certificate_status"] == "missing"


@pytest.mark.parametrize("target, body, field", [
    ("vehicles", {**b.vehicle(), "plate": "ABC123"}, "plate"),
    ("vehicles", {"plate": "沪A12345", "ownership": "leased"}, "lease_start"),
    ("vehicles", {**b.vehicle(leased=True), "lease_end": "2025-12-31"}, "lease_end"),
    ("equipment", {**b.equipment(), "calibration_valid_until": "2027.06.30"}, "calibration_valid_until"),
    ("spare_parts", {**b.spare_part(), "quantity": -1}, "quantity"),
    ("spare_parts", {**b.spare_part(), "value": "很贵"}, "value"),
])
def test_bad_second_stage_items_are_named_and_not_stored(registry, drafted, target, body, field):
    iid, actor = drafted
    with pytest.raises(ValidationFailed) as exc:
        registry.add_institution_item(actor, iid, target, body)
    assert exc.value.field == field
    assert registry.get_institution(actor, iid)[target] == []


def test_a_bad_transition_payload_is_named(registry, drafted):
    iid, actor = drafted
    with pytest.raises(ValidationFailed) as exc:
        registry.transition_institution(actor, iid, {})
    assert exc.value.field == "action"
    with pytest.raises(ValidationFailed) as exc:
        registry.transition_institution(actor, iid, {"action": "approve_everything"})
    assert exc.value.field == "action"


def test_a_bad_login_payload_is_named(registry):
    with pytest.raises(ValidationFailed) as exc:
        registry.login({"username": "admin"})
    assert exc.value.field == "password"
