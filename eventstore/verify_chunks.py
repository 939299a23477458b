"""One worker's share of the whole-store verify: everything for one chunk of the tree.

A chunk is the leaves [start, start + count) of the RFC 9162 tree, ``start`` a multiple of
the chunk size (a power of two) and ``count`` at most that size: the events at those places
in global order. ``ChunkPass`` recomputes, from the rows alone, each event's hash
(``stored_hash.content_failures``), each link inside the chunk, each leaf and the chunk's
own compact range (one hash for a full chunk: the perfect subtree of its leaves). What only
the events before the chunk can decide is handed back as it was read: each stream's first
event in the chunk (its link is checked by the verifying process against the stream's head
from the chunks before, ``LogVerifier.add_chunk``) and each stream's last (version, hash).

Because the chunk is aligned, the subtree that ends at a leaf index inside it is a subtree
of the chunk's own leaves: the verifying process asks for those that witnessed
checkpoints' compact ranges end at (``ends``), and for the event stored at each place where
a difference would be named (``names``), so a report names the same event as one process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventstore.merkle import Frontier
from eventstore.stored_hash import content_failures

_sha256 = hashlib.sha256


def link_break(
    stream_id: str, version: int, position: int, last_version: int, last_hash: str, prev_hash: str
) -> str | None:
    """The sentence for an event that does not follow its stream's head, or None."""
    if version != last_version + 1:
        return (
            f"{stream_id} version {version} (position {position}): version gap,"
            f" expected {last_version + 1}"
        )
    if prev_hash != last_hash:
        return (
            f"{stream_id} version {version} (position {position}): broken link to"
            f" version {last_version}"
        )
    return None


def hash_mismatch(stream_id: str, version: int, position: int) -> str:
    return f"{stream_id} version {version} (position {position}): hash mismatch, content changed"


@dataclass
class ChunkCheck:
    """What a worker found in its chunk (absolute leaf indexes, positions in global order)."""

    start: int
    count: int = 0
    # The compact range of the chunk's leaves, largest subtree first.
    frontier: list[bytes] = field(default_factory=list)
    # At each requested end e inside the chunk: MTH of the chunk's perfect subtree that
    # ends at e (the largest aligned one: the last hash of the tree's compact range at e).
    subtrees: dict[int, bytes] = field(default_factory=dict)
    # At each requested leaf index: (stream, version, position) of the event stored there.
    names: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    # Each stream's first event here: position, stream, version, prev_hash, hash fails.
    firsts: list[tuple[int, str, int, str, bool]] = field(default_factory=list)
    # Each stream's last (version, hash) here.
    lasts: dict[str, tuple[int, str]] = field(default_factory=dict)
    # (position, sentence) of each break decided inside the chunk.
    breaks: list[tuple[int, str]] = field(default_factory=list)


class ChunkPass:
    """Feed it the chunk's ``STORED_ROWS`` rows in global order, then ``result()``."""

    def __init__(self, start: int, ends: Collection[int], names: Collection[int]) -> None:
        self._check = ChunkCheck(start)
        self._ends = frozenset(ends)
        self._names = frozenset(names)
        self._leaves: list[bytes] = []

    def feed(self, rows: Sequence[Any]) -> None:
        """The rows' hashes, links and leaves; written out in one loop (the inner loop)."""
        check, leaves = self._check, self._leaves
        heads, firsts, breaks, names = check.lasts, check.firsts, check.breaks, check.names
        wanted = self._names
        add_leaf = leaves.append
        failed = frozenset(content_failures(rows))
        index = check.start + len(leaves)
        for row in rows:
            stream_id, version, position, prev_hash, stored = (
                row[1], row[2], row[3], row[9], row[10]
            )  # fmt: skip
            head = heads.get(stream_id)
            heads[stream_id] = (version, stored)
            if head is None:
                firsts.append((position, stream_id, version, prev_hash, position in failed))
            else:
                broken = link_break(stream_id, version, position, head[0], head[1], prev_hash)
                if broken is not None:
                    breaks.append((position, broken))
                elif failed and position in failed:
                    breaks.append((position, hash_mismatch(stream_id, version, position)))
            if index in wanted:
                names[index] = (stream_id, version, position)
            add_leaf(_sha256(f"\x00{stream_id}\n{version}\n{position}\n{stored}".encode()).digest())
            index += 1

    def result(self) -> ChunkCheck:
        check, leaves = self._check, self._leaves
        check.count = len(leaves)
        levels = _levels(leaves)
        # Every subtree wanted is perfect and aligned in the chunk: one entry of a level.
        for start, end in Frontier(check.count).ranges():
            check.frontier.append(levels[(end - start).bit_length() - 1][start // (end - start)])
        for end in self._ends:
            local = end - check.start
            if 0 < local < check.count:  # at the chunk's end: the verifier's frontier
                width = local & -local
                check.subtrees[end] = levels[width.bit_length() - 1][local // width - 1]
        return check


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """levels[h][i]: the perfect subtree of 2**h leaves from leaf i * 2**h (RFC 9162 nodes,
    one tight loop a level instead of a frontier update a leaf)."""
    levels = [leaves]
    level = leaves
    while len(level) > 1:
        level = [
            _sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        levels.append(level)
    return levels
