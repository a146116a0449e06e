"""The gateway's own routes: health names what is down, metrics by route template, OpenAPI covers
every route, errors have one shape."""
import re

from tests.system_fixtures import ALL_SERVICES, make_gateway


def test_healthz_is_200_when_the_broker_and_all_six_answer(system):
    resp = system.test_client().get("/healthz")
    assert resp.status_code == 200
    checks = resp.get_json()["checks"]
    assert checks == {"broker": "ok", "gateway": "ok", "registry": "ok", "tasks": "ok",
                      "fieldrecords": "ok", "confirmation": "ok", "credit": "ok"}


def test_healthz_is_503_naming_the_services_that_do_not_answer(container_factory, service_config):
    for cls in ALL_SERVICES:
        if cls.name not in ("credit", "tasks"):
            container_factory(cls, service_config).start()
    app = make_gateway(service_config, health_timeout=1.0)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["down"] == ["credit", "tasks"]
    assert body["checks"]["registry"] == "ok"


def test_healthz_is_503_when_the_broker_is_unreachable():
    from emss_common.config import Settings
    from gateway.app import create_app
    settings = Settings.from_env({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "EMSS_SECRET_KEY": "x"})
    app = create_app(settings, health_timeout=1.0)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert "broker" in resp.get_json()["down"]


def test_metrics_count_requests_by_route_template_and_status(system):
    client = system.test_client()
    client.get("/api/v1/public/institutions")
    client.get("/api/v1/institutions/abc")  # 401: not logged in
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'emss_http_requests_total\{method="GET",route="/api/v1/public/institutions",status="200"\} [1-9]', text)
    assert re.search(r'emss_http_requests_total\{method="GET",route="/api/v1/institutions/<institution_id>",status="401"\} [1-9]', text)
    assert 'emss_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/public/institutions"}' in text


def test_openapi_documents_every_api_route_with_its_roles(system):
    spec = system.test_client().get("/api/v1/openapi.json").get_json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for rule in system.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, (method, path)
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["x-roles"] == ["public"]
    assert "requestBody" in login
    assert spec["paths"]["/api/v1/regulators"]["post"]["x-roles"] == ["sysadmin"]


def test_errors_have_one_shape(system):
    client = system.test_client()
    body = client.get("/api/v1/no/such/route").get_json()
    assert body == {"error": {"code": "not_found", "message": "页面或接口不存在", "field": None}}
    body = client.post("/api/v1/auth/login", json={"username": "nobody"}).get_json()
    assert body["error"]["field"] == "password"


def test_an_error_page_keeps_the_logged_in_header(system):
    from tests import builders as b
    client = system.test_client()
    client.post("/api/v1/institutions", json={"institution": b.institution(), "account": b.account("errpage")})
    from tests.system_fixtures import portal_login
    assert portal_login(client, "errpage", "Field#Pass2026").status_code == 302
    page = client.get("/no/such/page", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "页面或接口不存在" in page and "张明" in page and "退出" in page
