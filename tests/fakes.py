"""Test doubles shared by use-case tests."""
from emss_common.nameko_deps import Emitter


class RecordedEvents(Emitter):
    """A service's real emitter (events written with the change, then through the outbox) whose
    dispatches are recorded in `events` instead of sent to a broker."""

    def __init__(self, source, db, clock):
        holder = type("Worker", (), {})()
        holder.db, holder.clock = db, clock
        super().__init__(source, holder, self._record, "db", "clock")
        self.events = []

    def _record(self, type_, event):
        self.events.append((type_, event["subject"], event["data"]))
