"""Waiting for what a real server, runner or peer does in its own time."""

import time


def wait_for(check, what, timeout=180):
    """The first truthy value of ``check()``, asked every half second; after
    ``timeout`` seconds an AssertionError naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}: {value!r}")
