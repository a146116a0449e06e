import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from registry.service import RegistryService


@pytest.fixture
def registry(container_factory, service_config):
    container = container_factory(RegistryService, service_config)
    container.start()
    with ServiceRpcProxy("registry", service_config, timeout=15) as proxy:
        yield proxy


@pytest.fixture
def admin(registry):
    return registry.login({"username": "admin", "password": "Admin#Test2026"})["actor"]
