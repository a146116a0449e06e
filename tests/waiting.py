"""Waiting for asynchronous facts (events) in tests: poll, never sleep blindly."""
import eventlet


# How long a test waits for an asynchronous fact before it fails. Generous: the whole system runs in
# one process on a machine that may be busy (a stall of tens of seconds has been seen there), and a
# wait returns as soon as its condition holds, so a passing run never waits this long.
PATIENCE = 60
# An HTTP client's own timeout: longer than the gateway's wait for a slow RPC (PATIENCE).
HTTP_PATIENCE = 2 * PATIENCE


def eventually(check, timeout=PATIENCE, interval=0.02):
    """Call `check` until it stops raising AssertionError; its result, or the last failure."""
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if eventlet.hubs.get_hub().clock() > deadline:
                raise
            eventlet.sleep(interval)
