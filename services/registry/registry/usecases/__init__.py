"""The registry's use cases: each takes a Context (db, clock, events, config), the actor, the payload."""
from emss_common.context import Context  # noqa: F401
