"""Waiting for asynchronous facts (events) in tests: poll, never sleep blindly."""
import eventlet


def eventually(check, timeout=10):
    """Call `check` until it stops raising AssertionError; its result, or the last failure."""
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if eventlet.hubs.get_hub().clock() > deadline:
                raise
            eventlet.sleep(0.02)
