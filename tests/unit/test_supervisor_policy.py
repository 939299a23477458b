"""The restart policy of `acip up` and how it names a child's end (pure parts)."""

from __future__ import annotations

import signal

from workers.supervisor import RestartPolicy, exit_status_text
from workers.up import CHILDREN


def test_backoff_doubles_from_half_a_second_up_to_its_cap() -> None:
    policy = RestartPolicy()
    assert [policy.delay(crashes) for crashes in range(1, 8)] == [0.5, 1, 2, 4, 8, 15, 15]
    assert RestartPolicy(first_delay=2, max_delay=5).delay(3) == 5


def test_an_exit_is_named_by_its_status_or_its_signal() -> None:
    assert exit_status_text(1) == "exit status 1"
    assert exit_status_text(-signal.SIGKILL) == "killed by SIGKILL"
    assert exit_status_text(-200) == "killed by signal 200"


def test_the_children_are_data_each_an_acip_subcommand() -> None:
    assert [child.name for child in CHILDREN] == [
        "witness",
        "worker",
        "projector",
        "checkpointer",
        "api",
    ]
    assert CHILDREN[1].argv()[-3:] == ["-m", "workers.cli", "worker"]
