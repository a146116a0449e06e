"""The gateway depends on no service's internals: vocabularies come from the common catalogue,
descriptions and defaults from the owning service by RPC, HTTP input shapes from its own schemas."""
import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[1] / "gateway"
SERVICES = {"registry", "tasks", "fieldrecords", "confirmation", "credit"}


def imported_packages(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def test_no_gateway_module_imports_another_service():
    offences = {f"{path.relative_to(GATEWAY.parent)} imports {package}"
                for path in sorted(GATEWAY.rglob("*.py"))
                for line, package in imported_packages(path) if package in SERVICES}
    assert offences == set()


def test_the_gateway_package_declares_no_service_dependency():
    text = (GATEWAY.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert not any(f"emss-{name}" in text for name in SERVICES)
