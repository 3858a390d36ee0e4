"""Suite-wide fixtures: Python's SIGINT handler, a hang watchdog, Hypothesis profiles."""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the fuzz modules import hypothesis themselves and fail loudly
    settings = None

# ----------------------------------------------------------------------------- Hypothesis

if settings is not None:
    # The watchdog fixture is function-scoped on purpose: one timer spans all of a test's
    # examples. Small models are slow to draw (arrays, nested parameters): that is expected.
    _SUPPRESSED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    # CI: the same examples on every run (a failure reproduces from the log), few enough that
    # the fuzz modules take well under a minute, no example database in the fresh clone. No
    # deadline: CI also runs the suite under ASan and on one core, where time per example is
    # many times a quiet machine's; a hang is the watchdog's to catch.
    settings.register_profile(
        "ci",
        derandomize=True,
        max_examples=40,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=_SUPPRESSED,
    )
    # Local runs: new random examples each time, remembered when they fail; a deadline flags
    # examples that are slow without hanging.
    settings.register_profile(
        "dev",
        max_examples=200,
        deadline=timedelta(seconds=5),
        suppress_health_check=_SUPPRESSED,
    )
    # A long hunt: HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz_*.py
    settings.register_profile(
        "long",
        max_examples=5000,
        deadline=None,
        suppress_health_check=_SUPPRESSED,
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ----------------------------------------------------------------------------- signals


@pytest.fixture(autouse=True)
def _python_sigint_handler() -> Iterator[None]:
    """Give every test Python's own SIGINT handler, as an interactive run has.

    A process started with SIGINT ignored (``cmd &`` in a non-interactive shell, ``nohup``, some
    CI runners) keeps it ignored: Python then installs no handler, ``_thread.interrupt_main()``
    does nothing and a Ctrl-C test never sees its KeyboardInterrupt. Child processes inherit
    the ignored disposition too, so their Ctrl-C tests would fail as well.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ----------------------------------------------------------------------------- hangs

# A test that hangs would hold CI until its time limit; this dumps every thread's stack and
# ends the run instead. Ample for any test that uses it, even under ASan on one core.
WATCHDOG_SECONDS = float(os.environ.get("FASTINIT_TEST_WATCHDOG", "300"))


@pytest.fixture
def watchdog() -> Iterator[None]:
    """End the whole run with every thread's traceback if the test outlives the watchdog.

    For tests of code that once hung (a native loop that no exception can interrupt).
    """
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
