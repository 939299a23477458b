"""Fault and attack tests: real processes, loopback only, every wait bounded.

The Temporal test servers come from tests/integration/conftest.py (imported here, so this
folder runs on its own too); a module here that needs its own server starts one
(tests/reliability/harness.py).
"""

from __future__ import annotations

from tests.integration.conftest import dev_env, task_queue, time_skipping_env

__all__ = ["dev_env", "task_queue", "time_skipping_env"]
