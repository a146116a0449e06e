"""Where an act came from (the confirmation trail's IP) is the gateway's view of the client:
X-Forwarded-For counts only behind the number of proxies the operator declares."""
import pytest

from emss_common.config import Settings
from gateway.app import create_app

# A complete act (the gateway checks its shape before the confirmation service sees it).
ACT = {"record_ids": ["r1"], "signature": {"content_base64": "c2ln", "name": "signature.png"},
       "photo": {"content_base64": "cGhvdG8=", "name": "photo.jpg"}}
ENTERPRISE = {"account_id": "a-e1", "username": "dongfang", "roles": ["enterprise_user"], "enterprise_id": "e1"}


class Recorder:
    """Stands in for the services behind the gateway: a session, and what confirm_day was sent."""

    def __init__(self):
        self.sent = []
        recorder = self

        class Registry:
            def resolve_session(self, token):
                return {"actor": ENTERPRISE}

        class Confirmation:
            def confirm_day(self, actor, day, payload):
                recorder.sent.append(payload)
                return {"day": day, "confirmed": [], "refused": []}
        self.registry, self.confirmation = Registry(), Confirmation()


def origin_seen(proxies):
    env = {"EMSS_SECRET_KEY": "t", **({"EMSS_TRUSTED_PROXIES": str(proxies)} if proxies else {})}
    services = Recorder()
    app = create_app(Settings.from_env(env), services=services)
    resp = app.test_client().post("/api/v1/confirmation/days/2026-11-23/confirm", json=ACT,
                                  headers={"Authorization": "Bearer tok", "X-Forwarded-For": "203.0.113.9"},
                                  environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return services.sent[0]["origin"]["ip"]


@pytest.mark.parametrize("proxies, expected", [(0, "10.0.0.5"), (1, "203.0.113.9")])
def test_the_client_address_is_the_proxys_report_only_when_a_proxy_is_declared(proxies, expected):
    assert origin_seen(proxies) == expected
