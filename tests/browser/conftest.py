"""Browser tests: the whole system on a fresh RabbitMQ vhost, driven by Debian's headless Chromium.

One system per session (starting six processes takes seconds); each test makes its own accounts
and institutions, so tests do not depend on each other's data. Screenshots go to tests/screenshots/.
"""
import os
import socket
import sys
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.waiting import HTTP_PATIENCE, PATIENCE

# Assertions on a page wait as long as any other wait in the tests (not Playwright's 5 s).
expect.set_options(timeout=PATIENCE * 1000)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, "tests", "screenshots")
MANAGEMENT = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672")
BROKER_AUTH = ("guest", "guest")
ADMIN_PASSWORD = "Admin#Browser2026"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

sys.path.insert(0, os.path.join(ROOT, "scripts"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def vhost():
    name = "emss_browser_" + uuid.uuid4().hex[:8]
    url = f"{MANAGEMENT}/api/vhosts/{name}"
    requests.put(url, auth=BROKER_AUTH, timeout=10).raise_for_status()
    requests.put(f"{MANAGEMENT}/api/permissions/{name}/guest", auth=BROKER_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    yield name
    requests.delete(url, auth=BROKER_AUTH, timeout=10)


@pytest.fixture(scope="session")
def system(vhost, tmp_path_factory):
    """The real system: five services and the gateway, each its own process."""
    from run_all import start_all, stop_all, wait_healthy
    from emss_common.config import SERVICES

    data_dir = tmp_path_factory.mktemp("emss-data")
    env = {"AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
           "EMSS_DATA_DIR": str(data_dir),
           "GATEWAY_HOST": "127.0.0.1",
           "GATEWAY_PORT": str(_free_port()),
           "EMSS_ADMIN_USERNAME": "admin",
           "EMSS_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "EMSS_SECRET_KEY": uuid.uuid4().hex,
           "EMSS_SESSION_CACHE_SECONDS": "0",
           # a slow answer on a busy machine is not a failure here
           "EMSS_RPC_TIMEOUT": str(PATIENCE)}
    for name in SERVICES:
        env[f"METRICS_PORT_{name.upper()}"] = str(_free_port())
    log_dir = os.path.join(str(tmp_path_factory.getbasetemp()), "logs")
    procs, url = start_all(env=env, log_dir=log_dir)
    try:
        wait_healthy(url, procs, timeout=90)
        yield {"url": url, "admin_password": ADMIN_PASSWORD, "logs": log_dir}
    finally:
        stop_all(procs)


@pytest.fixture(scope="session")
def base_url(system):
    return system["url"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    manager = sync_playwright()
    pw = manager.start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        # Not pw.stop(): it waits for the driver's exit through asyncio's child watcher, whose
        # wake-up never reaches the loop under eventlet's monkey patching (root conftest), so it
        # hangs. The browser is closed; end the driver process ourselves.
        proc = getattr(getattr(manager._client, "_transport", None), "_proc", None)
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass


@pytest.fixture
def new_page(browser, base_url):
    """new_page() → a page in its own context (its own cookies), desktop size unless told."""
    contexts = []

    def make(width=1280, height=900, **kw):
        ctx = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url,
                                  locale="zh-CN", timezone_id="Asia/Shanghai", **kw)
        ctx.set_default_timeout(HTTP_PATIENCE * 1000)  # a page waits as long as its server may
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def shot():
    os.makedirs(SHOTS, exist_ok=True)

    def take(page, name):
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
    return take


@pytest.fixture(scope="session")
def api(base_url):
    """A tiny JSON API client for setting up state that a test is not about."""
    return Api(base_url)


class Api:
    def __init__(self, base_url):
        self.base_url = base_url

    def login(self, username, password):
        r = requests.post(f"{self.base_url}/api/v1/auth/login", timeout=HTTP_PATIENCE,
                          json={"username": username, "password": password})
        r.raise_for_status()
        return r.json()["token"]

    def call(self, method, path, token=None, json=None, expect=(200, 201)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = requests.request(method, f"{self.base_url}/api/v1{path}", json=json, headers=headers,
                             timeout=HTTP_PATIENCE)
        assert r.status_code in expect, (r.status_code, r.text)
        return r.json()


@pytest.fixture(scope="session")
def admin_token(api, system):
    return api.login("admin", system["admin_password"])


@pytest.fixture(scope="session")
def regulators(api, admin_token):
    """Regulator accounts made through the API for tests that are not about creating them."""
    from tests.browser.flows import PASSWORD
    made = {}
    for key, district in (("pudong", "浦东新区"), ("huangpu", "黄浦区")):
        username = f"reg_{key}_{uuid.uuid4().hex[:4]}"
        api.call("POST", "/regulators", admin_token,
                 {"username": username, "password": PASSWORD, "name": f"{district}监管员",
                  "district": district})
        made[key] = username
    return made


@pytest.fixture
def approved_first(api, regulators):
    """An institution whose first review has passed (二审 items editable) → (username, id, name)."""
    from tests import builders
    from tests.browser.flows import PASSWORD, unique
    username = unique("inst_")
    name = f"上海{unique('测试')}环境运维有限公司"
    result = api.call("POST", "/institutions", None,
                      {"institution": builders.institution(name=name),
                       "account": builders.account(username, PASSWORD)})
    inst_id = result["institution"]["id"]
    token = api.login(username, PASSWORD)
    api.call("POST", f"/institutions/{inst_id}/transitions", token, {"action": "submit"})
    reg = api.login(regulators["pudong"], PASSWORD)
    api.call("POST", f"/institutions/{inst_id}/transitions", reg, {"action": "approve_first"})
    return {"username": username, "id": inst_id, "name": name, "token": token}
