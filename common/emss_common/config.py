"""Configuration from environment variables, with working defaults for one machine."""
import os
from dataclasses import dataclass

from .storeserver import uri as store_uri

SERVICES = ("registry", "tasks", "fieldrecords", "confirmation", "credit")

DEFAULT_METRICS_PORTS = {
    "registry": 9101,
    "tasks": 9102,
    "fieldrecords": 9103,
    "confirmation": 9104,
    "credit": 9105,
}


# Environment variables with these prefixes reach the services' config (ctx.setting reads them).
RULE_PREFIXES = ("EMSS_", "FIELD_")


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    # MONGO_URI, or the embedded store server's address when it is unset (embedded_store).
    mongo_uri: str
    data_dir: str
    gateway_host: str
    gateway_port: int
    secret_key: str | None
    rpc_timeout: float
    admin_username: str
    admin_password: str | None
    session_hours: float
    # Rule settings ([S]/[D] values of DOMAIN.md) passed to every service's config by name.
    overrides: tuple = ()
    # WeChat official account (gateway only): see services/gateway/gateway/wechat/__init__.py.
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_aes_key: str | None = None
    wechat_oauth: str = "simulator"
    # The address people reach the gateway at (WeChat menu links, OAuth redirect); unset = the request's.
    public_url: str | None = None
    # No MONGO_URI: `make run` starts the embedded store server (storeserver.py) on this port.
    embedded_store: bool = False
    store_port: int = 27217

    @classmethod
    def from_env(cls, env=None):
        env = os.environ if env is None else env
        store_port = int(env.get("EMSS_STORE_PORT", "27217"))
        return cls(
            amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            mongo_uri=env.get("MONGO_URI") or store_uri("127.0.0.1", store_port),
            embedded_store=not env.get("MONGO_URI"),
            store_port=store_port,
            data_dir=env.get("EMSS_DATA_DIR", os.path.join(os.getcwd(), "var", "data")),
            gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
            gateway_port=int(env.get("GATEWAY_PORT", "8000")),
            secret_key=env.get("EMSS_SECRET_KEY") or None,
            rpc_timeout=float(env.get("EMSS_RPC_TIMEOUT", "10")),
            admin_username=env.get("EMSS_ADMIN_USERNAME", "admin"),
            admin_password=env.get("EMSS_ADMIN_PASSWORD") or None,
            session_hours=float(env.get("EMSS_SESSION_HOURS", "8")),
            overrides=tuple(sorted((k, v) for k, v in env.items() if k.startswith(RULE_PREFIXES))),
            wechat_token=env.get("WECHAT_TOKEN") or None,
            wechat_app_id=env.get("WECHAT_APP_ID") or None,
            wechat_app_secret=env.get("WECHAT_APP_SECRET") or None,
            wechat_aes_key=env.get("WECHAT_AES_KEY") or None,
            wechat_oauth=(env.get("WECHAT_OAUTH") or "simulator").strip().lower(),
            public_url=(env.get("EMSS_PUBLIC_URL") or "").strip().rstrip("/") or None,
        )

    def nameko_config(self, service=None):
        """The config dict a nameko container of `service` runs with."""
        cfg = {
            **dict(self.overrides),
            "AMQP_URI": self.amqp_uri,
            "EMSS_DATA_DIR": self.data_dir,
            "MONGO_URI": self.mongo_uri,
            "serializer": "json",
        }
        if self.admin_password:
            cfg["EMSS_ADMIN_PASSWORD"] = self.admin_password
        cfg["EMSS_ADMIN_USERNAME"] = self.admin_username
        return cfg


def metrics_port(service, env=None):
    env = os.environ if env is None else env
    return int(env.get("METRICS_PORT", DEFAULT_METRICS_PORTS[service]))
