"""Verifying the whole store against what the operator cannot write: the witness's record.

``check_witness_record`` reads the witness's cosigned checkpoints (``GET /checkpoints`` of
the witness, or a copy of it) and checks each with the pinned witness key: its
cosignature, the operator's signature (with the operator keys the *witness* accepted),
that its frontier hashes to its root, and that each extends the one before (the proof
the witness checked, re-checked here).

``LogVerifier`` is then fed every stored event in global order. It re-checks each
stream's hash chain and rebuilds the RFC 9162 tree; at each boundary of each witnessed
checkpoint's compact range it compares the rebuilt subtree with the witnessed one, so a
difference is pinned to the first witnessed subtree that differs (a single leaf when
checkpoints are frequent) and named by the stored event at its start. Memory: the
frontier (about 64 hashes) and one (version, hash) per stream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from eventstore.hashing import compute_hash
from eventstore.merkle import Frontier, event_leaf_hash, verify_consistency
from eventstore.models import GENESIS_HASH
from eventstore.stored_hash import content_failures
from eventstore.tree_head import (
    TreeHead,
    TreeHeadError,
    cosigned_message,
    key_id,
    signature_valid,
)
from eventstore.verify_chunks import ChunkCheck, hash_mismatch, link_break

_NO_HEAD = (0, GENESIS_HASH)
_sha256 = hashlib.sha256


class Row(Protocol):
    """A stored event as a mapping (a dict, an asyncpg record)."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class WitnessedCheckpoint:
    head: TreeHead
    frontier: Frontier
    witnessed_at: str


@dataclass(frozen=True)
class Divergence:
    """Where the store first differs from the witnessed record (leaf indexes from 0)."""

    first_leaf: int
    end_leaf: int  # exclusive
    checkpoint_size: int
    stream_id: str | None
    version: int | None
    global_position: int | None
    detail: str

    def sentence(self) -> str:
        at = (
            f"{self.stream_id} version {self.version} (position {self.global_position})"
            if self.stream_id is not None
            else "past the end of the store"
        )
        span = (
            f"event {self.first_leaf + 1}"
            if self.end_leaf - self.first_leaf == 1
            else f"events {self.first_leaf + 1}-{self.end_leaf}"
        )
        return (
            f"{span} in global order (witnessed checkpoint of size {self.checkpoint_size}), "
            f"first stored there: {at}: {self.detail}"
        )


def check_witness_record(
    record: Mapping[str, Any], witness_public_key: bytes
) -> tuple[list[WitnessedCheckpoint], list[str]]:
    """The witnessed checkpoints that check out, oldest first, and a sentence per problem."""
    problems: list[str] = []
    witness_key_id = key_id(witness_public_key)
    operator_keys = {
        str(k["key_id"]): bytes.fromhex(str(k["public_key"]))
        for k in record.get("operator_keys", [])
    }
    checked: list[WitnessedCheckpoint] = []
    for entry in sorted(record.get("checkpoints", []), key=lambda e: int(e["size"])):
        statement = str(entry["statement"])
        try:
            head = TreeHead.parse(statement)
        except TreeHeadError as error:
            problems.append(f"witnessed checkpoint {entry.get('size')}: {error}")
            continue
        where = f"witnessed checkpoint of size {head.size}"
        witnessed_at = str(entry["witnessed_at"])
        message = cosigned_message(witness_key_id, datetime.fromisoformat(witnessed_at), statement)
        if not signature_valid(witness_public_key, message, str(entry["cosignature"])):
            problems.append(f"{where}: the witness's cosignature does not verify")
            continue
        operator_key = operator_keys.get(head.key_id)
        if operator_key is None or key_id(operator_key) != head.key_id:
            problems.append(f"{where}: signed by operator key {head.key_id}, unknown")
            continue
        if not signature_valid(operator_key, statement.encode(), str(entry["operator_signature"])):
            problems.append(f"{where}: the operator's signature does not verify")
            continue
        frontier = Frontier.from_hex(head.size, [str(h) for h in entry["frontier"]])
        if frontier.root() != head.root:
            problems.append(f"{where}: its frontier does not hash to its root")
            continue
        if checked:
            before = checked[-1].head
            proof = [bytes.fromhex(str(h)) for h in entry["consistency_proof"]]
            if not verify_consistency(before.size, head.size, proof, before.root, head.root):
                problems.append(f"{where}: not an extension of size {before.size}")
                continue
        checked.append(WitnessedCheckpoint(head, frontier, witnessed_at))
    return checked, problems


@dataclass
class _Target:
    checkpoint: WitnessedCheckpoint
    ranges: list[tuple[tuple[int, int], bytes]]
    next_range: int = 0


@dataclass
class LogVerifier:
    checkpoints: list[WitnessedCheckpoint]
    frontier: Frontier = field(default_factory=Frontier)
    chain_breaks: list[str] = field(default_factory=list)
    divergence: Divergence | None = None
    matched_size: int = 0
    matched_checkpoints: int = 0
    _heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    # The global position of each chain break (to put them in global order).
    _break_positions: list[int] = field(default_factory=list)
    _targets: list[_Target] = field(default_factory=list)
    _watch: tuple[int, tuple[str, int, int] | None] = (0, None)
    # The tree size at which to compare next (-1: nothing left to compare).
    _next_end: int = -1
    # add_chunk: the event at each leaf index the workers were asked to name.
    _names: dict[int, tuple[str, int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for checkpoint in sorted(self.checkpoints, key=lambda c: c.head.size, reverse=True):
            ranges = list(
                zip(checkpoint.frontier.ranges(), checkpoint.frontier.hashes, strict=True)
            )
            self._targets.append(_Target(checkpoint, ranges))
        self._skip_matched()

    @property
    def streams(self) -> int:
        return len(self._heads)

    def feed(self, row: Row) -> None:
        stream_id, version, position, stored = (
            row["stream_id"], row["version"], row["global_position"], row["hash"]
        )  # fmt: skip
        self._check_chain(row, stream_id, version, stored)
        self._add_leaf(stream_id, version, position, stored)

    def _add_leaf(self, stream_id: str, version: int, position: int, stored: str) -> None:
        index = self.frontier.size
        if index == self._watch[0]:
            self._watch = (index, (stream_id, version, position))
        self.frontier.append(event_leaf_hash(stream_id, version, position, stored))
        if self.frontier.size == self._next_end:
            self._compare(self.frontier.size, self.frontier.hashes[-1])

    def feed_stored(self, rows: Sequence[Any]) -> None:
        """Rows of ``STORED_ROWS`` (tuples: event id, payloads and instant as text), in
        global order: the same checks as ``feed``."""
        self.feed_checked(rows, content_failures(rows))

    def feed_checked(self, rows: Sequence[Any], changed: Collection[int]) -> None:
        """``feed_stored`` with the content checks made elsewhere: ``changed`` holds the
        global position of every row whose stored hash is not that of its content
        (``stored_hash.content_failures``). Written out in one loop: this is the one-process
        whole-store verify's inner loop (docs/performance.md)."""
        heads, frontier = self._heads, self.frontier
        append_leaf = frontier.append
        changed = frozenset(changed)
        for row in rows:
            stream_id, version, position, prev_hash, stored = (
                row[1], row[2], row[3], row[9], row[10]
            )  # fmt: skip
            last_version, last_hash = heads.get(stream_id, _NO_HEAD)
            heads[stream_id] = (version, stored)
            if version != last_version + 1 or prev_hash != last_hash:
                self._break(stream_id, version, position, last_version, last_hash, prev_hash)
            elif changed and position in changed:
                self._hash_mismatch(stream_id, version, position)
            index = frontier.size
            if index == self._watch[0]:
                self._watch = (index, (stream_id, version, position))
            append_leaf(
                _sha256(f"\x00{stream_id}\n{version}\n{position}\n{stored}".encode()).digest()
            )
            if index + 1 == self._next_end:
                self._compare(index + 1, frontier.hashes[-1])

    def marks(self) -> tuple[list[int], list[int]]:
        """For ``add_chunk``: the tree sizes at which a witnessed subtree ends, and the
        leaf indexes at which a difference can be named (a subtree's end, a checkpoint's
        size, or 0), both sorted."""
        ends = sorted({end for target in self._targets for (_, end), _ in target.ranges})
        return ends, sorted({0, *ends})

    def add_chunk(self, chunk: ChunkCheck) -> None:
        """The next chunk of leaves, checked by a worker (eventstore/verify_chunks.py):
        its first event of each stream linked to the stream's head from the chunks before,
        its breaks taken as found, its subtrees compared where the witnessed ones end and
        its compact range added to the frontier. Reports what ``feed_checked`` would."""
        heads = self._heads
        for position, stream_id, version, prev_hash, failed in chunk.firsts:
            last_version, last_hash = heads.get(stream_id, _NO_HEAD)
            if version != last_version + 1 or prev_hash != last_hash:
                self._break(stream_id, version, position, last_version, last_hash, prev_hash)
            elif failed:
                self._hash_mismatch(stream_id, version, position)
        heads.update(chunk.lasts)
        for position, sentence in chunk.breaks:
            self._break_positions.append(position)
            self.chain_breaks.append(sentence)
        self._names.update(chunk.names)
        end_of_chunk = chunk.start + chunk.count
        while 0 < self._next_end < end_of_chunk:
            self._compare(self._next_end, chunk.subtrees[self._next_end])
        start = chunk.start
        for digest in chunk.frontier:
            width = 1 << ((end_of_chunk - start).bit_length() - 1)
            self.frontier.append_subtree(digest, width)
            start += width
        # A subtree ending with the chunk can hold earlier chunks: the frontier's last.
        if self._next_end == end_of_chunk:
            self._compare(end_of_chunk, self.frontier.hashes[-1])

    def _check_chain(self, row: Row, stream_id: str, version: int, stored: str) -> None:
        position = row["global_position"]
        if self._link_holds(stream_id, version, position, row["prev_hash"], stored):
            try:
                recomputed = compute_hash(row["prev_hash"], row)
            except (ValueError, TypeError) as error:
                recomputed = f"not canonical: {error}"
            if recomputed != stored:
                self._hash_mismatch(stream_id, version, position)

    def _link_holds(
        self, stream_id: str, version: int, position: int, prev_hash: str, stored: str
    ) -> bool:
        """Version and link checks (each break named); True when the hash is to be
        recomputed. The stream's head moves to the stored row either way."""
        last_version, last_hash = self._heads.get(stream_id, _NO_HEAD)
        self._heads[stream_id] = (version, stored)
        if version == last_version + 1 and prev_hash == last_hash:
            return True
        self._break(stream_id, version, position, last_version, last_hash, prev_hash)
        return False

    def _break(
        self,
        stream_id: str,
        version: int,
        position: int,
        last_version: int,
        last_hash: str,
        prev_hash: str,
    ) -> None:
        sentence = link_break(stream_id, version, position, last_version, last_hash, prev_hash)
        if sentence is not None:
            self._break_positions.append(position)
            self.chain_breaks.append(sentence)

    def _hash_mismatch(self, stream_id: str, version: int, position: int) -> None:
        self._break_positions.append(position)
        self.chain_breaks.append(hash_mismatch(stream_id, version, position))

    def _compare(self, size: int, last_subtree: bytes) -> None:
        """At tree size ``size``, whose compact range ends with ``last_subtree``."""
        target = self._targets[-1]
        (start, end), witnessed = target.ranges[target.next_range]
        if size != end:
            return
        if last_subtree != witnessed:
            self._diverged(target, max(start, self.matched_size), end, "content or order differs")
            self._next_end = -1
            return
        target.next_range += 1
        if target.next_range == len(target.ranges):
            self.matched_size = end
            self.matched_checkpoints += 1
            self._targets.pop()
            self._skip_matched()
        else:
            self._watch = (max(end, self.matched_size), None)
            self._next_end = target.ranges[target.next_range][0][1]

    def _skip_matched(self) -> None:
        # Subtrees wholly inside a size already matched are the same in the next checkpoint
        # (it was checked to extend the matched one), so comparison resumes after them.
        if self._targets:
            target = self._targets[-1]
            while target.ranges[target.next_range][0][1] <= self.matched_size:
                target.next_range += 1
            self._next_end = target.ranges[target.next_range][0][1]
        else:
            self._next_end = -1
        self._watch = (self.matched_size, None)

    def _diverged(self, target: _Target, first: int, end: int, detail: str) -> None:
        watched, named = self._watch
        if named is None:  # add_chunk's workers named the events ahead
            named = self._names.get(watched)
        self.divergence = Divergence(
            first_leaf=first,
            end_leaf=end,
            checkpoint_size=target.checkpoint.head.size,
            stream_id=None if named is None else named[0],
            version=None if named is None else named[1],
            global_position=None if named is None else named[2],
            detail=detail,
        )

    def finish(self) -> None:
        """After the last stored event: a witnessed size the store no longer reaches, and
        the breaks in global order (``add_chunk`` adds a chunk's stitched links first)."""
        order = sorted(range(len(self.chain_breaks)), key=self._break_positions.__getitem__)
        self.chain_breaks[:] = [self.chain_breaks[i] for i in order]
        self._break_positions.sort()
        if self.divergence is None and self._targets:
            target = self._targets[-1]
            size = target.checkpoint.head.size
            first = max(target.ranges[target.next_range][0][0], self.matched_size)
            self._diverged(
                target,
                first,
                size,
                f"the store holds {self.frontier.size} events, the witness saw {size}: "
                "events are missing",
            )


def verify_rows(
    rows: Iterable[Mapping[str, Any]], checkpoints: list[WitnessedCheckpoint]
) -> LogVerifier:
    verifier = LogVerifier(checkpoints)
    for row in rows:
        verifier.feed(row)
    verifier.finish()
    return verifier
