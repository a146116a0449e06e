"""A bounded schemathesis run against the gateway's own OpenAPI document, over the whole system:
every operation gets a few generated requests (fixed seed, so a run is repeatable) as each role that
may call it, and none may answer with a server error. A 5xx here is a real defect: input the
gateway should have refused with a 400 reached a place that could not take it."""
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from tests import builders as b
from tests.e2e.worlds import PASSWORD, lab_institution, regulator

ADMIN_PASSWORD = "Admin#Test2026"
EXAMPLES = int(os.environ.get("EMSS_FUZZ_EXAMPLES", "3"))   # per operation and mode
MODES = [GenerationMode(m) for m in os.environ.get("EMSS_FUZZ_MODES", "positive,negative").split(",")]
# Calls that would end the sessions the run signs in with.
SKIPPED = {("POST", "/api/v1/auth/logout")}


@pytest.fixture
def tokens(anonymous, login):
    """A bearer token for each role that operations name in x-roles."""
    reg = regulator(login, "fuzz_reg")
    inst, _, staff = lab_institution(anonymous, login, reg, "fuzz_inst")
    status, body = inst.post("/sub-accounts", {**b.account("fuzz_field", name="吴刚"), "roles": ["field_staff"],
                                               "staff_id": staff[0]})
    assert status == 201, body
    status, body = inst.post("/sub-accounts", {**b.account("fuzz_review", name="李审"), "roles": ["reviewer"]})
    assert status == 201, body
    status, body = anonymous.post("/enterprises", {"enterprise": b.enterprise(), "account": b.account("fuzz_ent")})
    assert status == 201, body
    return {"sysadmin": login("admin", ADMIN_PASSWORD).token,
            "regulator": reg.token,
            "institution_admin": inst.token,
            "field_staff": login("fuzz_field", PASSWORD).token,
            "reviewer": login("fuzz_review", PASSWORD).token,
            "enterprise_user": login("fuzz_ent", PASSWORD).token}


def caller(operation, tokens):
    """The first role allowed to call the operation that the run has a token for (or none)."""
    roles = operation.definition.raw.get("x-roles") or []
    for role in roles:
        if role in tokens:
            return role
    if "authenticated" in roles:
        return "institution_admin"
    return None


def test_no_generated_request_makes_the_gateway_answer_a_server_error(system, client, tokens):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(spec)
    failures, operations, answers = [], 0, Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1
        role = caller(operation, tokens)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}

        # Requests that fit the schema and requests that do not: neither may meet a server error.
        @settings(max_examples=EXAMPLES * len(MODES), deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=st.one_of([operation.as_strategy(generation_mode=mode) for mode in MODES]))
        def check(case):
            response = case.call(app=system, headers=headers)
            answers[response.status_code // 100] += 1
            try:
                case.validate_response(response, checks=[not_a_server_error], headers=headers)
            except FailureGroup as exc:  # every failure is listed, not only the first
                failures.append(f"{operation.method.upper()} {operation.path} as {role}: "
                                f"{response.status_code} {response.text[:200]}\n{str(exc)[:600]}")

        check()
    assert operations > 50 and answers[2] and answers[4], answers   # it did reach the services
    assert failures == [], "\n\n".join(failures)
