"""The tasks service's use cases: each takes a Context (db, clock, events, config), the actor, the payload."""
