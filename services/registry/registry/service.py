"""The registry service: a thin nameko shell over the use cases.

Every RPC that acts for a person takes `actor` (what the gateway resolved from the session) first.
"""
from nameko.extensions import DependencyProvider
from nameko.messaging import Publisher
from nameko.rpc import rpc

from emss_common.errors import (EmssError, Forbidden, NotFound, ValidationFailed, Conflict,
                                InvalidTransition, NotAuthenticated)
from emss_common import sessions
from emss_common.nameko_deps import ExportsFacts, ServiceBase, Store

from .domain.roles import Actor
from .storage import INDEXES
from .usecases import Context, accounts, institutions, enterprises, reference, wechat
from .usecases.exports import EXPORTS

EXPECTED = (EmssError, Forbidden, NotFound, ValidationFailed, Conflict, InvalidTransition,
            NotAuthenticated)


class AdminBootstrap(DependencyProvider):
    """Creates the first system administrator when the registry starts on an empty store."""

    def start(self):
        deps = {type(ext).__name__: ext for ext in self.container.dependencies}
        ctx = Context(deps["Store"].db, deps["Clock"].clock, _NoEvents(), self.container.config)
        accounts.bootstrap_admin(ctx)


class _NoEvents:
    def emit(self, *args, **kwargs):
        return None


class RegistryService(ExportsFacts, ServiceBase):
    name = "registry"
    db = Store("registry", INDEXES, EXPORTS)
    EXPORTS = EXPORTS
    admin = AdminBootstrap()
    broadcast = Publisher(exchange=sessions.EXCHANGE)  # session revocations, to every gateway

    def _ctx(self):
        return Context(self.db, self.clock, self.events, self.config, self.broadcast)

    @rpc
    def reference(self):
        return reference.reference()

    # ----- accounts and sessions -----
    @rpc(expected_exceptions=EXPECTED)
    def login(self, payload, source=None):
        return accounts.login(self._ctx(), payload, source)

    @rpc(expected_exceptions=EXPECTED)
    def resolve_session(self, token):
        return accounts.resolve_session(self._ctx(), token)

    @rpc(expected_exceptions=EXPECTED)
    def logout(self, token):
        return accounts.logout(self._ctx(), token)

    @rpc(expected_exceptions=EXPECTED)
    def change_password(self, actor, payload):
        return accounts.change_password(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def create_sub_account(self, actor, payload):
        return accounts.create_sub_account(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_sub_accounts(self, actor):
        return accounts.list_sub_accounts(self._ctx(), Actor.from_dict(actor))

    @rpc(expected_exceptions=EXPECTED)
    def set_sub_account_active(self, actor, account_id, active):
        return accounts.set_sub_account_active(self._ctx(), Actor.from_dict(actor), account_id, active)

    @rpc(expected_exceptions=EXPECTED)
    def create_regulator(self, actor, payload):
        return accounts.create_regulator(self._ctx(), Actor.from_dict(actor), payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_accounts(self, actor, role=None):
        return accounts.list_accounts(self._ctx(), Actor.from_dict(actor), role)

    # ----- WeChat bindings (the gateway has already exchanged the OAuth code for the openid) -----
    @rpc(expected_exceptions=EXPECTED)
    def wechat_login(self, openid):
        return wechat.wechat_login(self._ctx(), openid)

    @rpc(expected_exceptions=EXPECTED)
    def bind_wechat(self, openid, username, password, source=None):
        return wechat.bind_wechat(self._ctx(), openid, username, password, source)

    @rpc(expected_exceptions=EXPECTED)
    def unbind_wechat(self, actor):
        return wechat.unbind_wechat(self._ctx(), Actor.from_dict(actor))

    @rpc(expected_exceptions=EXPECTED)
    def wechat_binding(self, actor):
        return wechat.wechat_binding(self._ctx(), Actor.from_dict(actor))

    # ----- institutions and filing -----
    @rpc(expected_exceptions=EXPECTED)
    def register_institution(self, payload):
        return institutions.register(self._ctx(), payload)

    @rpc(expected_exceptions=EXPECTED)
    def get_institution(self, actor, institution_id):
        return institutions.get_institution(self._ctx(), Actor.from_dict(actor), institution_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_institutions(self, actor, query=None):
        return institutions.list_institutions(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def public_institutions(self, query=None):
        return institutions.public_institutions(self._ctx(), query)

    @rpc(expected_exceptions=EXPECTED)
    def update_institution_basic(self, actor, institution_id, payload):
        return institutions.update_basic(self._ctx(), Actor.from_dict(actor), institution_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def add_institution_item(self, actor, institution_id, target, payload):
        return institutions.add_item(self._ctx(), Actor.from_dict(actor), institution_id, target, payload)

    @rpc(expected_exceptions=EXPECTED)
    def update_institution_item(self, actor, institution_id, target, item_id, payload):
        return institutions.update_item(self._ctx(), Actor.from_dict(actor), institution_id, target,
                                        item_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def remove_institution_item(self, actor, institution_id, target, item_id):
        return institutions.remove_item(self._ctx(), Actor.from_dict(actor), institution_id, target,
                                        item_id)

    @rpc(expected_exceptions=EXPECTED)
    def transition_institution(self, actor, institution_id, payload):
        return institutions.transition(self._ctx(), Actor.from_dict(actor), institution_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def institution_audit_trail(self, actor, institution_id):
        return institutions.audit_trail(self._ctx(), Actor.from_dict(actor), institution_id)

    @rpc(expected_exceptions=EXPECTED)
    def submit_change_request(self, actor, institution_id, payload):
        return institutions.submit_change_request(self._ctx(), Actor.from_dict(actor), institution_id,
                                                  payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_change_requests(self, actor, query=None):
        return institutions.list_change_requests(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def decide_change_request(self, actor, change_request_id, payload):
        return institutions.decide_change_request(self._ctx(), Actor.from_dict(actor),
                                                  change_request_id, payload)

    # ----- enterprises, outlets, devices -----
    @rpc(expected_exceptions=EXPECTED)
    def register_enterprise(self, payload):
        return enterprises.register(self._ctx(), payload)

    @rpc(expected_exceptions=EXPECTED)
    def get_enterprise(self, actor, enterprise_id):
        return enterprises.get_enterprise(self._ctx(), Actor.from_dict(actor), enterprise_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_enterprise(self, actor, enterprise_id, payload):
        return enterprises.update_enterprise(self._ctx(), Actor.from_dict(actor), enterprise_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def list_enterprises(self, actor, query=None):
        return enterprises.list_enterprises(self._ctx(), Actor.from_dict(actor), query)

    @rpc(expected_exceptions=EXPECTED)
    def add_outlet(self, actor, enterprise_id, payload):
        return enterprises.add_outlet(self._ctx(), Actor.from_dict(actor), enterprise_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def update_outlet(self, actor, outlet_id, payload):
        return enterprises.update_outlet(self._ctx(), Actor.from_dict(actor), outlet_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def add_device(self, actor, outlet_id, payload):
        return enterprises.add_device(self._ctx(), Actor.from_dict(actor), outlet_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def update_device(self, actor, device_id, payload):
        return enterprises.update_device(self._ctx(), Actor.from_dict(actor), device_id, payload)

    @rpc(expected_exceptions=EXPECTED)
    def device_history(self, actor, device_id):
        return enterprises.device_history(self._ctx(), Actor.from_dict(actor), device_id)

    @rpc(expected_exceptions=EXPECTED)
    def device_as_of(self, actor, payload):
        return enterprises.device_as_of(self._ctx(), Actor.from_dict(actor), payload)
