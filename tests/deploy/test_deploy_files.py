"""Checks of the deployment files: docker-compose.yml, Dockerfile, deploy/ (Prometheus, Grafana, k8s).

Run: .venv/bin/python -m pytest tests/deploy -q -p no:nameko
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROMETHEUS_DIR = DEPLOY / "prometheus"
GRAFANA_DIR = DEPLOY / "grafana"
K8S_DIR = DEPLOY / "k8s"

NAMEKO_SERVICES = ("registry", "tasks", "fieldrecords", "confirmation", "credit")
COMPONENTS = NAMEKO_SERVICES + ("gateway",)
HOT_PATH = ("fieldrecords", "confirmation")

EMSS_METRICS = {
    "emss_http_requests_total",
    "emss_http_request_duration_seconds",
    "emss_rpc_requests_total",
    "emss_rpc_duration_seconds",
    "emss_events_handled_total",
}
# Not in the contract list, but defined in emss_common.metrics.
EXTRA_METRICS = {"emss_events_emitted_total"}
# Variables compose needs; dummy values only, for `docker-compose config`.
COMPOSE_ENV = {
    "EMSS_AMQP_PASSWORD": "test-amqp-password",
    "EMSS_SECRET_KEY": "test-secret-key",
    "EMSS_ADMIN_PASSWORD": "test-admin-password",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana-password",
    "WECHAT_TOKEN": "test-wechat-token",
    "WECHAT_APP_ID": "wx0000000000000000",
    "WECHAT_APP_SECRET": "test-wechat-secret",
    "EMSS_PUBLIC_URL": "https://emss.example.gov.cn",
}
SECRET_VARS = ("EMSS_AMQP_PASSWORD", "EMSS_SECRET_KEY", "EMSS_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD",
               "WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "EMSS_PUBLIC_URL")


def _load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _run(args, env=None, cwd=ROOT):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package: "
                    f"{'prometheus' if name == 'promtool' else name}); cannot run this check")
    return path


@pytest.fixture(scope="module")
def compose():
    return _load_yaml(COMPOSE_FILE)


def _command(svc):
    cmd = svc.get("command")
    return cmd.split() if isinstance(cmd, str) else list(cmd or [])


def _env(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


# --- Dockerfile --------------------------------------------------------------------------


def test_dockerfile_installs_every_package_and_runs_unprivileged():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "pip install -r requirements.txt" in text
    for pkg in ("common",) + tuple(f"services/{name}" for name in COMPONENTS):
        assert re.search(rf"-e {re.escape(pkg)}(\s|$)", text), f"{pkg} not installed editable"
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users, "image must switch to a non-root user"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerignore_excludes_local_state():
    lines = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".venv", "var", ".git", "**/__pycache__", "**/screenshots"):
        assert entry in lines, f".dockerignore lacks {entry}"


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_has_every_component_and_infrastructure(compose):
    services = compose["services"]
    for name in COMPONENTS + ("rabbitmq", "mongo", "prometheus", "grafana"):
        assert name in services, f"compose lacks {name}"
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3-management")
    assert services["mongo"]["image"] == "mongo:7"
    for name in ("rabbitmq", "mongo"):
        assert "healthcheck" in services[name], f"{name} needs a healthcheck"
    for volume in ("mongo-data", "rabbitmq-data", "prometheus-data", "grafana-data"):
        assert volume in compose["volumes"]


@pytest.mark.parametrize("name", NAMEKO_SERVICES)
def test_compose_nameko_service(compose, name):
    svc = compose["services"][name]
    assert _command(svc) == ["python", "-m", "emss_common.launch", name]
    assert "build" in svc or "image" in svc
    env = _env(svc)
    assert env["AMQP_URI"].startswith("amqp://emss:${")
    assert env["AMQP_URI"].endswith("@rabbitmq:5672/")
    assert env["MONGO_URI"] == "mongodb://mongo:27017/"
    assert str(env["METRICS_PORT"]) == "9100"
    # launch.py binds the metrics listener to 0.0.0.0 only when GATEWAY_HOST says so.
    assert env["GATEWAY_HOST"] == "0.0.0.0"
    depends = svc["depends_on"]
    assert depends["rabbitmq"]["condition"] == "service_healthy"
    assert depends["mongo"]["condition"] == "service_healthy"
    # Replicas must not collide on a fixed container name or a host port.
    assert "container_name" not in svc
    assert "ports" not in svc


@pytest.mark.parametrize("name", HOT_PATH)
def test_compose_hot_paths_have_replicas(compose, name):
    assert compose["services"][name]["deploy"]["replicas"] >= 2


def test_compose_registry_gets_admin_password_from_environment(compose):
    env = _env(compose["services"]["registry"])
    assert env["EMSS_ADMIN_PASSWORD"].startswith("${EMSS_ADMIN_PASSWORD:?")


def test_compose_gateway(compose):
    gw = compose["services"]["gateway"]
    assert _command(gw) == ["python", "-m", "gateway"]
    published = [str(p) for p in gw["ports"]]
    assert any(re.fullmatch(r"(?:[\d.]+:)?8000:8000", p) for p in published), published
    env = _env(gw)
    assert env["GATEWAY_HOST"] == "0.0.0.0"
    assert str(env["GATEWAY_PORT"]) == "8000"
    assert env["EMSS_SECRET_KEY"].startswith("${EMSS_SECRET_KEY:?")
    assert "/healthz" in " ".join(gw["healthcheck"]["test"])


def test_compose_monitoring(compose):
    services = compose["services"]
    prom_mounts = " ".join(services["prometheus"]["volumes"])
    assert "./deploy/prometheus/prometheus.yml:" in prom_mounts
    assert "./deploy/prometheus/alerts.yml:" in prom_mounts
    graf_mounts = " ".join(services["grafana"]["volumes"])
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning" in graf_mounts
    assert "./deploy/grafana/dashboards:" in graf_mounts
    rabbit_mounts = " ".join(services["rabbitmq"]["volumes"])
    assert "./deploy/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins" in rabbit_mounts
    plugins = (DEPLOY / "rabbitmq" / "enabled_plugins").read_text(encoding="utf-8")
    assert "rabbitmq_prometheus" in plugins and plugins.strip().endswith("].")


def _walk_strings(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def test_compose_has_no_literal_secrets(compose):
    secretish = re.compile(r"(PASS|PASSWORD|SECRET|TOKEN|KEY)$", re.I)
    for name, svc in compose["services"].items():
        for key, value in _env(svc).items():
            if secretish.search(key):
                # Required (${VAR:?...}) or optional with an empty default (${VAR:-}).
                assert re.fullmatch(r"\$\{\w+:(\?[^}]*|-)\}", str(value)), \
                    f"{name}.{key} must come from the environment, got {value!r}"
    for path, value in _walk_strings(compose):
        # Credentials inside URIs must be variables too.
        for match in re.finditer(r"://[^:/@\s]+:([^@\s]+)@", value):
            assert match.group(1).startswith("${"), f"literal password in {path}: {value}"
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for dummy in COMPOSE_ENV.values():
        assert dummy not in text
    assert "guest:guest" not in text


def _compose_env(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    env.update(COMPOSE_ENV)
    env.update(overrides)
    return env


@pytest.fixture
def docker_compose(tmp_path):
    """The docker-compose command, reading an empty env file so a developer's .env cannot interfere."""
    path = shutil.which("docker-compose")
    if path is None and os.access("/usr/bin/docker-compose", os.X_OK):
        path = "/usr/bin/docker-compose"
    if path is None:
        pytest.skip("docker-compose binary is absent (apt-get install -y docker-compose); "
                    "cannot validate docker-compose.yml")
    empty_env = tmp_path / "empty.env"
    empty_env.write_text("", encoding="utf-8")
    return [path, "--env-file", str(empty_env), "-f", str(COMPOSE_FILE)]


def test_docker_compose_config_is_valid(docker_compose):
    result = _run(docker_compose + ["config", "-q"], env=_compose_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_config_resolves_secrets_from_environment(docker_compose):
    result = _run(docker_compose + ["config"], env=_compose_env())
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    assert resolved["gateway"]["environment"]["EMSS_SECRET_KEY"] == COMPOSE_ENV["EMSS_SECRET_KEY"]
    assert resolved["credit"]["environment"]["AMQP_URI"] == (
        f"amqp://emss:{COMPOSE_ENV['EMSS_AMQP_PASSWORD']}@rabbitmq:5672/")
    assert resolved["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"] == COMPOSE_ENV["EMSS_AMQP_PASSWORD"]


@pytest.mark.parametrize("missing", SECRET_VARS)
def test_docker_compose_refuses_to_run_without_a_secret(docker_compose, missing):
    env = _compose_env()
    del env[missing]
    result = _run(docker_compose + ["config", "-q"], env=env)
    assert result.returncode != 0
    assert missing in result.stdout + result.stderr


# --- Prometheus --------------------------------------------------------------------------


def test_prometheus_scrapes_gateway_and_every_service():
    config = _load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    discovered = {}
    for job in jobs.values():
        for sd in job.get("dns_sd_configs", []):
            for name in sd["names"]:
                discovered[name] = sd["port"]
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                discovered[host] = int(port)
    assert discovered["gateway"] == 8000
    for name in NAMEKO_SERVICES:
        assert discovered[name] == 9100
    assert discovered["rabbitmq"] == 15692


def test_alert_rules_cover_the_essentials():
    rules = [rule for group in _load_yaml(PROMETHEUS_DIR / "alerts.yml")["groups"] for rule in group["rules"]]
    alerts = {rule["alert"]: rule for rule in rules if "alert" in rule}
    exprs = " ".join(rule["expr"] for rule in rules)
    assert any(re.search(r"\bup\b.*== 0", rule["expr"]) for rule in alerts.values())
    assert 'status=~"5.."' in exprs
    assert "histogram_quantile(0.95" in exprs and "emss_http_request_duration_seconds_bucket" in exprs
    assert 'emss_rpc_requests_total{outcome="error"}' in exprs
    assert "rabbitmq_detailed_queue_messages_ready" in exprs
    for alert in alerts.values():
        assert alert["labels"]["severity"] in ("warning", "critical")
        assert alert["annotations"]["summary"]


def test_promtool_check_config():
    result = _run([_tool("promtool"), "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_config_kubernetes():
    result = _run([_tool("promtool"), "check", "config", str(PROMETHEUS_DIR / "prometheus-k8s.yml")])
    if "kubernetes_sd_configs not found" in result.stdout + result.stderr:
        pytest.skip("this promtool build has no Kubernetes service discovery (Debian's does not)")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_rules():
    result = _run([_tool("promtool"), "check", "rules", str(PROMETHEUS_DIR / "alerts.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_alert_unit_tests():
    result = _run([_tool("promtool"), "test", "rules", "alerts.test.yml"], cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


# --- Grafana -----------------------------------------------------------------------------


def _panels(dashboard):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


@pytest.fixture(scope="module")
def dashboard():
    with open(GRAFANA_DIR / "dashboards" / "emss.json", encoding="utf-8") as f:
        return json.load(f)


def _metric_names(expr):
    names = set()
    for token in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.sub(r'"[^"]*"', '""', expr)):
        for suffix in ("_bucket", "_sum", "_count"):
            if token.endswith(suffix) and token[: -len(suffix)] in EMSS_METRICS:
                token = token[: -len(suffix)]
        names.add(token)
    return names


def test_grafana_provisioning():
    datasource = _load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")
    (ds,) = datasource["datasources"]
    assert ds["type"] == "prometheus" and ds["url"] == "http://prometheus:9090"
    provider = _load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "emss.yml")["providers"][0]
    compose = _load_yaml(COMPOSE_FILE)
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in mounts


def test_grafana_dashboard_panels_query_known_metrics(dashboard):
    ds_uid = _load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]["uid"]
    allowed = EMSS_METRICS | EXTRA_METRICS | {"up"}
    panels = [p for p in _panels(dashboard) if p["type"] != "row"]
    assert len(panels) >= 10
    ids = [p["id"] for p in _panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        assert panel["datasource"]["uid"] == ds_uid, panel["title"]
        targets = panel.get("targets") or []
        assert targets, f"panel {panel['title']!r} has no query"
        names = set().union(*(_metric_names(t["expr"]) for t in targets))
        # RabbitMQ's own metrics are allowed for the queue-depth panel.
        known = {n for n in names if n in allowed or n.startswith("rabbitmq_")}
        assert known, f"panel {panel['title']!r} queries no EMSS metric: {names}"


def test_grafana_dashboard_covers_required_views(dashboard):
    exprs = " ".join(t["expr"] for p in _panels(dashboard) for t in p.get("targets", []))
    for needle in (
        "sum by (route) (rate(emss_http_requests_total",
        'status=~"5.."',
        "histogram_quantile(0.50",
        "histogram_quantile(0.95",
        "sum by (service) (rate(emss_rpc_requests_total",
        'outcome="error"',
        "emss_events_handled_total",
        "up{",
    ):
        assert needle in exprs, needle


def test_grafana_dashboard_queries_are_valid_promql(dashboard, tmp_path):
    """promtool parses every dashboard query as a recording rule."""
    promtool = _tool("promtool")
    rules = []
    for i, panel in enumerate(p for p in _panels(dashboard) if p["type"] != "row"):
        for target in panel["targets"]:
            expr = (target["expr"].replace("$__rate_interval", "5m")
                    .replace("$route", ".*").replace("$service", ".*"))
            rules.append({"record": f"dashboard:panel{i}:{target['refId']}", "expr": expr})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = _run([promtool, "check", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


# --- Kubernetes --------------------------------------------------------------------------


def _k8s_files():
    return sorted(K8S_DIR.glob("*.yaml"))


def _k8s_docs():
    docs = []
    for path in _k8s_files():
        if path.name == "kustomization.yaml":
            continue
        with open(path, encoding="utf-8") as f:
            docs.extend((path.name, doc) for doc in yaml.safe_load_all(f) if doc)
    return docs


def _workloads(kind=None):
    return [(name, doc) for name, doc in _k8s_docs()
            if doc["kind"] in ("Deployment", "StatefulSet") and (kind is None or doc["kind"] == kind)]


def test_k8s_every_doc_is_identified():
    docs = _k8s_docs()
    assert docs
    for filename, doc in docs:
        assert doc.get("apiVersion"), filename
        assert doc.get("kind"), filename
        assert doc.get("metadata", {}).get("name"), filename


def test_k8s_kustomization_lists_every_manifest_but_the_secret_template():
    kustomization = _load_yaml(K8S_DIR / "kustomization.yaml")
    listed = set(kustomization["resources"])
    files = {p.name for p in _k8s_files()} - {"kustomization.yaml"}
    assert listed == files - {"secret.template.yaml"}
    assert kustomization["namespace"] == "emss"


def test_k8s_secret_template_holds_placeholders_only():
    (secret,) = [doc for _, doc in _k8s_docs() if doc["kind"] == "Secret"]
    assert secret["metadata"]["name"] == "emss-secrets"
    assert set(secret["stringData"]) == {"RABBITMQ_PASSWORD", "MONGO_PASSWORD", "EMSS_SECRET_KEY", "EMSS_ADMIN_PASSWORD",
                                         "WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET"}
    assert set(secret["stringData"].values()) == {"REPLACE_ME"}


def test_k8s_component_deployments_and_services():
    deployments = {doc["metadata"]["name"]: doc for _, doc in _workloads("Deployment")}
    services = {doc["metadata"]["name"]: doc for _, doc in _k8s_docs() if doc["kind"] == "Service"}
    assert set(COMPONENTS) <= set(deployments)
    for name in COMPONENTS:
        spec = deployments[name]["spec"]
        assert spec["replicas"] >= (2 if name in HOT_PATH + ("gateway",) else 1)
        (container,) = spec["template"]["spec"]["containers"]
        expected = ["python", "-m", "gateway"] if name == "gateway" else ["python", "-m", "emss_common.launch", name]
        assert container["command"] == expected
        assert name in services
        assert services[name]["spec"]["selector"] == spec["selector"]["matchLabels"]
        assert spec["template"]["metadata"]["labels"].items() >= spec["selector"]["matchLabels"].items()


def test_k8s_every_workload_has_probes_resources_and_security():
    workloads = _workloads()
    assert workloads
    for filename, doc in workloads:
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, filename
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", filename
        for container in pod["containers"]:
            where = f"{filename}:{container['name']}"
            assert "livenessProbe" in container and "readinessProbe" in container, where
            resources = container["resources"]
            for section in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[section]), where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where


def test_k8s_probes_match_the_contract():
    deployments = {doc["metadata"]["name"]: doc for _, doc in _workloads("Deployment")}
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for name in NAMEKO_SERVICES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("readinessProbe", "livenessProbe"):
            assert ports[container[probe]["tcpSocket"]["port"]] == 9100, name


def test_k8s_secrets_only_reach_the_components_that_need_them():
    deployments = {doc["metadata"]["name"]: doc for _, doc in _workloads("Deployment")}
    for name in COMPONENTS:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        assert "$(RABBITMQ_PASSWORD)" in env["AMQP_URI"]["value"]
        assert "$(MONGO_PASSWORD)" in env["MONGO_URI"]["value"]
        assert ("EMSS_ADMIN_PASSWORD" in env) == (name == "registry"), name
        assert ("EMSS_SECRET_KEY" in env) == (name == "gateway"), name
        for entry in env.values():
            if re.search(r"PASSWORD|SECRET", entry["name"]):
                assert "secretKeyRef" in entry.get("valueFrom", {}), f"{name}.{entry['name']}"


def test_k8s_autoscalers():
    hpas = {doc["spec"]["scaleTargetRef"]["name"]: doc for _, doc in _k8s_docs()
            if doc["kind"] == "HorizontalPodAutoscaler"}
    deployments = {doc["metadata"]["name"]: doc for _, doc in _workloads("Deployment")}
    assert set(hpas) == {"gateway", "fieldrecords", "confirmation"}
    for name, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["minReplicas"] == deployments[name]["spec"]["replicas"]
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


def test_kubectl_kustomize_builds():
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; cannot run kustomize")
    result = _run([kubectl, "kustomize", str(K8S_DIR)])
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    kinds = {doc["kind"] for doc in docs}
    assert {"Namespace", "ConfigMap", "Deployment", "StatefulSet", "Service",
            "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
    assert "Secret" not in kinds
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "emss", doc["metadata"]["name"]
