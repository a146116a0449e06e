"""Session revocation notices: the registry (which owns sessions) tells every gateway process
which sessions just ended, so none keeps serving a cached one. A fanout exchange of its own: each
gateway process binds an exclusive auto-delete queue (a broadcast); no other consumer sees these.

Notice body (JSON): {"type": "session.revoked", "token_hashes": [sha256 hex of the token, ...],
"account_id": id or null}; with account_id every session of that account has ended."""
from kombu import Exchange

EXCHANGE = Exchange("emss.sessions", type="fanout", durable=True)
REVOKED = "session.revoked"
