"""The registry's use cases: each takes a Context (db, clock, events) plus the actor and payload."""
from dataclasses import dataclass


@dataclass
class Context:
    db: object
    clock: object
    events: object
    config: dict

    @property
    def now(self):
        return self.clock.now()

    @property
    def today(self):
        return self.clock.today()
