import dataclasses

import pytest
from kernel.circuit import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    CircuitSnapshot,
    Decision,
)

BREAKER = CircuitBreaker(
    failure_threshold=3, cooldown_seconds=60, probe_timeout_seconds=300
)
T0 = 1_764_170_000.0


def _open(at=T0, failures=3):
    return CircuitSnapshot(OPEN, failures, opened_at=at)


def _probing(started=T0 + 60, opened=T0):
    return CircuitSnapshot(HALF_OPEN, 3, opened_at=opened, probe_started_at=started)


def test_constants_and_defaults():
    assert (CLOSED, OPEN, HALF_OPEN) == ("closed", "open", "half_open")
    assert CircuitSnapshot() == CircuitSnapshot(CLOSED, 0, None, None)
    assert Decision("pass") == Decision("pass", 0.0)
    default = CircuitBreaker()
    assert (
        default.failure_threshold,
        default.cooldown_seconds,
        default.probe_timeout_seconds,
    ) == (5, 60.0, 300.0)


def test_values_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CircuitSnapshot().state = OPEN
    with pytest.raises(dataclasses.FrozenInstanceError):
        BREAKER.failure_threshold = 1


def test_invalid_values_refused():
    with pytest.raises(ValueError, match="unknown circuit state"):
        CircuitSnapshot(state="broken")
    with pytest.raises(ValueError, match="unknown action"):
        Decision("retry")
    with pytest.raises(ValueError, match="cooldown_seconds"):
        CircuitBreaker(cooldown_seconds=-1)
    with pytest.raises(ValueError, match="probe_timeout_seconds"):
        CircuitBreaker(probe_timeout_seconds=0)


# -- decide ------------------------------------------------------------------


def test_closed_passes():
    assert BREAKER.decide(CircuitSnapshot(CLOSED, 2), T0) == Decision("pass")


def test_open_before_cooldown_waits_remaining():
    assert BREAKER.decide(_open(), T0 + 15) == Decision("wait", 45)
    assert BREAKER.decide(_open(), T0) == Decision("wait", 60)


def test_open_after_cooldown_probes():
    assert BREAKER.decide(_open(), T0 + 60) == Decision("probe")
    assert BREAKER.decide(_open(), T0 + 6000) == Decision("probe")


def test_open_with_clock_going_backwards_waits_at_most_a_cooldown():
    assert BREAKER.decide(_open(), T0 - 1000) == Decision("wait", 60)


def test_open_without_opened_at_probes():
    assert BREAKER.decide(CircuitSnapshot(OPEN, 3), T0) == Decision("probe")


def test_half_open_with_running_probe_waits():
    decision = BREAKER.decide(_probing(started=T0), T0 + 10)
    assert decision == Decision("wait", 60)  # a cooldown, not the probe timeout


def test_half_open_wait_shrinks_near_probe_timeout():
    decision = BREAKER.decide(_probing(started=T0), T0 + 280)
    assert decision == Decision("wait", 20)


def test_half_open_with_stale_probe_probes_again():
    assert BREAKER.decide(_probing(started=T0), T0 + 300) == Decision("probe")
    assert BREAKER.decide(_probing(started=T0), T0 + 5000) == Decision("probe")


def test_half_open_without_probe_time_probes():
    snapshot = CircuitSnapshot(HALF_OPEN, 3, opened_at=T0)
    assert BREAKER.decide(snapshot, T0) == Decision("probe")


@pytest.mark.parametrize("threshold", [0, -1])
def test_disabled_breaker_always_passes(threshold):
    breaker = CircuitBreaker(failure_threshold=threshold)
    assert not breaker.enabled
    for snapshot in (CircuitSnapshot(), _open(), _probing()):
        assert breaker.decide(snapshot, T0) == Decision("pass")
    state = CircuitSnapshot()
    for second in range(10):
        state = breaker.after_failure(state, T0 + second)
    assert state.state == CLOSED
    assert state.consecutive_failures == 10


# -- transitions -------------------------------------------------------------


def test_failures_below_threshold_stay_closed():
    state = BREAKER.after_failure(CircuitSnapshot(), T0)
    assert state == CircuitSnapshot(CLOSED, 1)
    state = BREAKER.after_failure(state, T0 + 1)
    assert state == CircuitSnapshot(CLOSED, 2)


def test_reaching_threshold_opens():
    state = BREAKER.after_failure(CircuitSnapshot(CLOSED, 2), T0)
    assert state == CircuitSnapshot(OPEN, 3, opened_at=T0, probe_started_at=None)


def test_threshold_of_one_opens_on_first_failure():
    breaker = CircuitBreaker(failure_threshold=1)
    assert breaker.after_failure(CircuitSnapshot(), T0).state == OPEN


def test_failure_while_open_keeps_cooldown():
    state = BREAKER.after_failure(_open(at=T0), T0 + 30)
    assert state.state == OPEN
    assert state.opened_at == T0
    assert state.consecutive_failures == 4


def test_start_probe():
    state = BREAKER.start_probe(_open(), T0 + 60)
    assert state == CircuitSnapshot(
        HALF_OPEN, 3, opened_at=T0, probe_started_at=T0 + 60
    )


def test_failed_probe_reopens_with_fresh_cooldown():
    state = BREAKER.after_failure(_probing(started=T0 + 60), T0 + 61)
    assert state == CircuitSnapshot(OPEN, 4, opened_at=T0 + 61, probe_started_at=None)
    assert BREAKER.decide(state, T0 + 100) == Decision("wait", 21)


@pytest.mark.parametrize("snapshot", [CircuitSnapshot(CLOSED, 2), _open(), _probing()])
def test_success_closes_and_resets(snapshot):
    assert BREAKER.after_success(snapshot, T0) == CircuitSnapshot()


def test_a_success_between_failures_resets_the_count():
    state = BREAKER.after_failure(CircuitSnapshot(CLOSED, 2), T0)
    assert state.state == OPEN
    state = BREAKER.after_success(CircuitSnapshot(CLOSED, 2), T0)
    state = BREAKER.after_failure(state, T0 + 1)
    assert state == CircuitSnapshot(CLOSED, 1)


def test_full_cycle():
    state = CircuitSnapshot()
    for second in range(3):
        assert BREAKER.decide(state, T0 + second).action == "pass"
        state = BREAKER.after_failure(state, T0 + second)
    assert state.state == OPEN and state.opened_at == T0 + 2
    assert BREAKER.decide(state, T0 + 30).action == "wait"
    assert BREAKER.decide(state, T0 + 62).action == "probe"
    state = BREAKER.start_probe(state, T0 + 62)
    assert BREAKER.decide(state, T0 + 63).action == "wait"  # only one prober
    state = BREAKER.after_failure(state, T0 + 64)
    assert BREAKER.decide(state, T0 + 100).action == "wait"
    assert BREAKER.decide(state, T0 + 124).action == "probe"
    state = BREAKER.start_probe(state, T0 + 124)
    state = BREAKER.after_success(state, T0 + 125)
    assert state == CircuitSnapshot()
    assert BREAKER.decide(state, T0 + 125).action == "pass"
