import dataclasses
import random

import pytest
from kernel.retry import RetryPolicy

NO_JITTER = RetryPolicy(jitter=0)


def test_defaults():
    policy = RetryPolicy()
    assert (
        policy.max_attempts,
        policy.initial_delay,
        policy.max_delay,
        policy.multiplier,
        policy.jitter,
    ) == (5, 30.0, 3600.0, 2.0, 0.1)


def test_policy_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RetryPolicy().max_attempts = 9


@pytest.mark.parametrize(
    "failed,expected",
    [(1, 30.0), (2, 60.0), (3, 120.0), (4, 240.0), (7, 1920.0), (8, 3600.0)],
)
def test_exponential_delays_capped(failed, expected):
    assert NO_JITTER.delay_for(failed) == expected


def test_custom_multiplier_and_constant_delay():
    assert RetryPolicy(initial_delay=10, multiplier=3, jitter=0).delay_for(3) == 90.0
    constant = RetryPolicy(initial_delay=5, multiplier=1, jitter=0)
    assert [constant.delay_for(n) for n in (1, 2, 10)] == [5.0, 5.0, 5.0]


def test_huge_attempt_count_does_not_overflow():
    assert NO_JITTER.delay_for(100_000) == 3600.0


def test_jitter_bounds_with_extreme_random_values():
    policy = RetryPolicy(initial_delay=100, jitter=0.1)
    assert policy.delay_for(1, rand=lambda: 0.0) == pytest.approx(90.0)
    assert policy.delay_for(1, rand=lambda: 0.5) == pytest.approx(100.0)
    assert policy.delay_for(1, rand=lambda: 0.999999) == pytest.approx(110.0, abs=1e-3)


def test_jitter_stays_within_bounds_and_spreads():
    policy = RetryPolicy(initial_delay=100, jitter=0.2)
    rng = random.Random(42)
    delays = [policy.delay_for(1, rand=rng.random) for _ in range(2000)]
    assert min(delays) >= 80.0
    assert max(delays) < 120.0
    assert max(delays) - min(delays) > 30  # actually spread, not constant


def test_jitter_never_exceeds_max_delay():
    policy = RetryPolicy(initial_delay=100, max_delay=100, jitter=0.5)
    assert policy.delay_for(5, rand=lambda: 0.999) == 100.0
    assert policy.delay_for(5, rand=lambda: 0.0) == pytest.approx(50.0)


def test_default_rand_is_used():
    policy = RetryPolicy(initial_delay=100, jitter=0.5)
    delays = {policy.delay_for(1) for _ in range(50)}
    assert len(delays) > 1
    assert all(50.0 <= d <= 150.0 for d in delays)


def test_server_retry_after_wins_when_larger():
    assert NO_JITTER.delay_for(1, retry_after=120) == 120.0
    assert NO_JITTER.delay_for(3, retry_after=10) == 120.0  # ours is larger


def test_server_retry_after_beyond_max_delay_is_honoured():
    policy = RetryPolicy(max_delay=600, jitter=0)
    assert policy.delay_for(1, retry_after=7200) == 7200.0


def test_zero_or_negative_retry_after_ignored():
    assert NO_JITTER.delay_for(2, retry_after=0) == 60.0
    assert NO_JITTER.delay_for(2, retry_after=-5) == 60.0


def test_delay_needs_a_failure():
    with pytest.raises(ValueError, match="failed_attempts must be >= 1"):
        NO_JITTER.delay_for(0)


@pytest.mark.parametrize(
    "attempts,expected", [(0, False), (1, False), (4, False), (5, True), (6, True)]
)
def test_exhausted(attempts, expected):
    assert RetryPolicy(max_attempts=5).exhausted(attempts) is expected


def test_single_attempt_policy_is_exhausted_after_first_try():
    assert RetryPolicy(max_attempts=1).exhausted(1)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"max_attempts": 0}, "max_attempts must be >= 1"),
        ({"max_attempts": 2.5}, "max_attempts must be an integer"),
        ({"max_attempts": True}, "max_attempts must be an integer"),
        ({"initial_delay": -1}, "initial_delay must be a finite number >= 0"),
        ({"max_delay": -0.5}, "max_delay must be a finite number >= 0"),
        ({"max_delay": float("nan")}, "max_delay"),
        ({"initial_delay": float("inf")}, "initial_delay"),
        ({"multiplier": 0.5}, "multiplier must be a finite number >= 1"),
        ({"jitter": -0.1}, "jitter must be >= 0 and < 1"),
        ({"jitter": 1.0}, "jitter must be >= 0 and < 1"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)


def test_zero_delays_allowed():
    assert RetryPolicy(initial_delay=0, max_delay=0).delay_for(3) == 0.0
