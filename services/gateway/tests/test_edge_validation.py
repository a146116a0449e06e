"""The gateway checks a request's input with its own schemas before it calls any service: bad input
gets the 400 the service would give (same field, same Chinese message), and no service is asked."""
import pytest

from emss_common.config import Settings
from emss_common.errors import ValidationFailed
from emss_common.validation import load
from registry import schemas as registry_schemas
from tests import builders as b


class Recorder:
    """Stands in for every service: records each call, answers {}."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, service):
        recorder = self

        class Service:
            def __getattr__(self, method):
                def call(*args):
                    recorder.calls.append((service, method, args))
                    return {}
                return call
        return Service()


@pytest.fixture
def gateway():
    from gateway.app import create_app
    recorder = Recorder()
    app = create_app(Settings.from_env({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "EMSS_SECRET_KEY": "x"}),
                     services=recorder)
    return app.test_client(), recorder


def _registration(**changes):
    payload = {"institution": b.institution(), "account": b.account("edgecheck")}
    for path, value in changes.items():
        section, key = path.split(".")
        payload[section][key] = value
    return payload


def _service_error(schema, payload):
    with pytest.raises(ValidationFailed) as caught:
        load(schema(), payload)
    return {"code": "validation_failed", "field": caught.value.field, "message": caught.value.message}


@pytest.mark.parametrize("changes, field", [
    ({"account.password": "Sh0rt#pw"}, "account.password"),
    ({"account.password": "alllowercaseletters"}, "account.password"),
    ({"account.username": "a b"}, "account.username"),
    ({"institution.type": "运维公司"}, "institution.type"),
    ({"institution.contact_phone": "12345"}, "institution.contact_phone"),
    ({"institution.registered_capital": "-1"}, "institution.registered_capital"),
    ({"institution.capabilities": []}, "institution.capabilities"),
])
def test_a_bad_registration_is_refused_at_the_edge_as_the_registry_would(gateway, changes, field):
    client, recorder = gateway
    payload = _registration(**changes)
    resp = client.post("/api/v1/institutions", json=payload)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert {k: error[k] for k in ("code", "field", "message")} == \
        _service_error(registry_schemas.InstitutionRegistrationSchema, payload)
    assert error["field"] == field
    assert recorder.calls == []


def test_an_unknown_field_is_refused_at_the_edge(gateway):
    client, recorder = gateway
    resp = client.post("/api/v1/enterprises", json={"enterprise": b.enterprise(), "account": b.account("edgeent"),
                                                    "extra": 1})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "extra"
    assert recorder.calls == []


def test_a_bad_query_is_refused_at_the_edge(gateway):
    client, recorder = gateway
    resp = client.get("/api/v1/public/institutions?size=0")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "size"
    assert recorder.calls == []


def test_good_input_reaches_the_service_as_sent(gateway):
    client, recorder = gateway
    payload = _registration()
    assert client.post("/api/v1/institutions", json=payload).status_code == 201
    assert recorder.calls == [("registry", "register_institution", (payload,))]
    assert client.get("/api/v1/public/institutions?size=5&type=om").status_code == 200
    assert recorder.calls[-1] == ("registry", "public_institutions", ({"size": "5", "type": "om"},))


def test_a_login_without_a_username_names_it(gateway):
    client, recorder = gateway
    resp = client.post("/api/v1/auth/login", json={"password": "x"})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "username"
    assert recorder.calls == []
