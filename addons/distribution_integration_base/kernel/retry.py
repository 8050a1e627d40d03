"""Retry delays with exponential back-off and jitter.

>>> policy = RetryPolicy(initial_delay=30, multiplier=2, jitter=0)
>>> [policy.delay_for(n) for n in (1, 2, 3)]
[30.0, 60.0, 120.0]
>>> policy.delay_for(1, retry_after=600)
600.0
"""

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long apart a failed exchange is retried.

    ``max_attempts`` counts every attempt, the first included. The delay after
    the n-th failure is ``initial_delay * multiplier ** (n - 1)``, spread by
    ``± jitter`` (a fraction) so that retries of many exchanges do not hit a
    partner at the same second, and never more than ``max_delay`` — unless the
    server asked for longer with ``Retry-After``, which is always honoured.
    """

    max_attempts: int = 5
    initial_delay: float = 30.0
    max_delay: float = 3600.0
    multiplier: float = 2.0
    jitter: float = 0.1

    def __post_init__(self):
        if isinstance(self.max_attempts, bool) or not isinstance(
            self.max_attempts, int
        ):
            raise ValueError(
                f"max_attempts must be an integer, got {self.max_attempts!r}"
            )
        if self.max_attempts < 1:
            raise ValueError(
                f"max_attempts must be >= 1 (the first attempt counts), "
                f"got {self.max_attempts}"
            )
        for name in ("initial_delay", "max_delay"):
            value = getattr(self, name)
            # "not >=" also refuses NaN.
            if not (value >= 0) or math.isinf(value):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not (self.multiplier >= 1) or math.isinf(self.multiplier):
            raise ValueError(
                f"multiplier must be a finite number >= 1, got {self.multiplier!r}"
            )
        if not (0 <= self.jitter < 1):
            raise ValueError(f"jitter must be >= 0 and < 1, got {self.jitter!r}")

    def delay_for(self, failed_attempts, retry_after=None, rand=random.random):
        """Return the seconds to wait after ``failed_attempts`` failures (>= 1).

        ``retry_after`` is the server's requested delay; it wins when larger.
        ``rand`` returns a float in [0, 1) and is injectable for tests.
        """
        if failed_attempts < 1:
            raise ValueError(
                f"failed_attempts must be >= 1 (a delay follows a failure), "
                f"got {failed_attempts}"
            )
        try:
            delay = self.initial_delay * self.multiplier ** (failed_attempts - 1)
        except OverflowError:
            delay = math.inf
        delay = min(delay, self.max_delay)
        delay *= 1 + self.jitter * (2 * rand() - 1)
        # max_delay is a hard ceiling for our own schedule, jitter included.
        delay = min(max(delay, 0.0), self.max_delay)
        if retry_after is not None and retry_after > delay:
            delay = float(retry_after)
        return float(delay)

    def exhausted(self, attempts_made):
        """Tell whether no attempt is left after ``attempts_made`` attempts."""
        return attempts_made >= self.max_attempts
