"""What a use case needs from its service: the store, the clock, the event emitter, the config."""
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

    def setting(self, key, default, cast=int):
        """A configurable default (DOMAIN.md [S]/[D] values), read from the service config."""
        return cast(self.config.get(key, default))
