"""Hypothesis budgets for the safety tests, chosen by ``BABYSKIN_HYPOTHESIS_PROFILE``.

``fast`` (the default, used by ``make test``): a fixed, derandomised budget, so every run tries the same
inputs. ``safety`` (used by ``make safety``): a random search of ``BABYSKIN_HYPOTHESIS_EXAMPLES``
examples per property. Tests apply :data:`BUDGET` (or :func:`budget`) explicitly rather than loading a
global profile, so other test files keep their own Hypothesis settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("BABYSKIN_HYPOTHESIS_PROFILE", "fast")
SAFETY_EXAMPLES = int(os.environ.get("BABYSKIN_HYPOTHESIS_EXAMPLES", "1000"))
_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]


def budget(fast_examples: int) -> settings:
    """``fast_examples`` derandomised examples in ``make test``; the safety budget in ``make safety``."""
    if PROFILE == "safety":
        return settings(max_examples=SAFETY_EXAMPLES, deadline=None, database=None,
                        suppress_health_check=_HEALTH, print_blob=True)
    return settings(max_examples=fast_examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=_HEALTH, print_blob=True)


BUDGET = budget(100)
