"""Circuit-breaker decisions for partner endpoints.

The state lives in the database (one row per endpoint); this module only
decides, from a snapshot and the current time, what the next call may do and
what the new state is. All functions are pure.

>>> breaker = CircuitBreaker(failure_threshold=2, cooldown_seconds=60)
>>> state = CircuitSnapshot()
>>> breaker.decide(state, now=0).action
'pass'
>>> state = breaker.after_failure(breaker.after_failure(state, now=1), now=2)
>>> state.state, state.opened_at
('open', 2)
>>> breaker.decide(state, now=32)
Decision(action='wait', wait_seconds=30)
>>> breaker.decide(state, now=62).action
'probe'
>>> state = breaker.start_probe(state, now=62)
>>> breaker.after_success(state, now=63)
CircuitSnapshot(state='closed', consecutive_failures=0, opened_at=None, probe_started_at=None)
"""  # noqa: E501

from dataclasses import dataclass, replace

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"
STATES = (CLOSED, OPEN, HALF_OPEN)

PASS = "pass"
PROBE = "probe"
WAIT = "wait"
ACTIONS = (PASS, PROBE, WAIT)


@dataclass(frozen=True)
class CircuitSnapshot:
    """Stored state of one endpoint's circuit (times are unix seconds)."""

    state: str = CLOSED
    consecutive_failures: int = 0
    opened_at: float | None = None
    probe_started_at: float | None = None

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(
                f"unknown circuit state {self.state!r}; use one of {STATES}"
            )


@dataclass(frozen=True)
class Decision:
    """What the caller may do now.

    ``pass``: call normally. ``probe``: make one trial call (after marking the
    probe started with :meth:`CircuitBreaker.start_probe`). ``wait``: do not
    call; try again in ``wait_seconds``.
    """

    action: str
    wait_seconds: float = 0.0

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; use one of {ACTIONS}")


@dataclass(frozen=True)
class CircuitBreaker:
    """Rules of the breaker: when to open, how long to rest, when to probe again.

    After ``failure_threshold`` consecutive failures the circuit opens; after
    ``cooldown_seconds`` one probe call is let through; if the prober does not
    report back within ``probe_timeout_seconds`` (it crashed), another probe is
    allowed. A threshold of 0 or less disables the breaker.
    """

    failure_threshold: int = 5
    cooldown_seconds: float = 60.0
    probe_timeout_seconds: float = 300.0

    def __post_init__(self):
        if not (self.cooldown_seconds >= 0):
            raise ValueError(
                f"cooldown_seconds must be >= 0, got {self.cooldown_seconds!r}"
            )
        if not (self.probe_timeout_seconds > 0):
            raise ValueError(
                f"probe_timeout_seconds must be > 0, got {self.probe_timeout_seconds!r}"
            )

    @property
    def enabled(self):
        """False when the threshold disables the breaker."""
        return self.failure_threshold > 0

    def decide(self, snapshot, now):
        """Return the :class:`Decision` for a call at time ``now``."""
        if not self.enabled or snapshot.state == CLOSED:
            return Decision(PASS)
        if snapshot.state == OPEN:
            if snapshot.opened_at is None:  # inconsistent row: let a probe repair it
                return Decision(PROBE)
            elapsed = now - snapshot.opened_at
            if elapsed >= self.cooldown_seconds:
                return Decision(PROBE)
            # A clock that went backwards must not make us wait beyond a cooldown.
            remaining = min(self.cooldown_seconds - elapsed, self.cooldown_seconds)
            return Decision(WAIT, remaining)
        # HALF_OPEN: one probe is (or was) in flight.
        if snapshot.probe_started_at is None:
            return Decision(PROBE)
        probe_age = now - snapshot.probe_started_at
        if probe_age >= self.probe_timeout_seconds:
            return Decision(PROBE)  # the prober crashed or hung: try again
        remaining = self.probe_timeout_seconds - probe_age
        return Decision(WAIT, min(self.cooldown_seconds, remaining))

    def after_success(self, snapshot, now):
        """Return the state after a successful call: closed, no failures."""
        return CircuitSnapshot()

    def after_failure(self, snapshot, now):
        """Return the state after a failed call at time ``now``."""
        failures = snapshot.consecutive_failures + 1
        if not self.enabled:
            return CircuitSnapshot(CLOSED, failures)
        if snapshot.state == HALF_OPEN:
            return CircuitSnapshot(OPEN, failures, opened_at=now)
        if snapshot.state == OPEN:
            # Late failures of calls started before opening do not extend the rest.
            return replace(snapshot, consecutive_failures=failures)
        if failures >= self.failure_threshold:
            return CircuitSnapshot(OPEN, failures, opened_at=now)
        return CircuitSnapshot(CLOSED, failures)

    def start_probe(self, snapshot, now):
        """Return the state once a probe call starts at time ``now``."""
        return replace(snapshot, state=HALF_OPEN, probe_started_at=now)
