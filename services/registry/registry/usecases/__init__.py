"""The registry's use cases: each takes a Context (db, clock, events, config), the actor, the payload."""
from dataclasses import dataclass

from emss_common.context import Context as _Context


@dataclass
class Context(_Context):
    # broadcast(payload): a session revocation notice straight to every gateway process, no outbox:
    # they must hear it at once (emss_common/sessions.py, accounts.end_sessions).
    broadcast: object = None
