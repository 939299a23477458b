"""The Merkle log over the whole store: RFC 9162 (Certificate Transparency v2), section 2.1.

Pure Python and the standard library only, so that the witness and an auditor's script can
import it without the rest of the project (and without a database driver).

- Leaf hash ``SHA-256(0x00 || leaf)``, interior node ``SHA-256(0x01 || left || right)``;
  the tree of n leaves splits at the largest power of two below n (RFC 9162 2.1.1).
- A leaf is one stored event in commit-safe global order; its bytes (``leaf_bytes``) are
  ``stream_id LF version LF global_position LF hash`` in UTF-8 (decimal integers, the
  lowercase hex chain hash). Stream ids cannot hold a line feed (the store refuses them), so
  the four fields read back unambiguously; the chain hash covers the event's content, the
  position covers its place in the global order.
- ``Frontier`` is the compact range of a tree: the roots of its maximal perfect subtrees,
  left to right. It is all a checkpointer needs to add leaves and compute the next root.
- ``inclusion_path``/``consistency_proof`` follow RFC 9162 2.1.3.1 and 2.1.4.1;
  ``verify_inclusion``/``verify_consistency`` follow 2.1.3.2 and 2.1.4.2 step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256() (RFC 9162 2.1.1)


def leaf_bytes(stream_id: str, version: int, global_position: int, event_hash: str) -> bytes:
    return f"{stream_id}\n{version}\n{global_position}\n{event_hash}".encode()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf_hash(stream_id: str, version: int, global_position: int, event_hash: str) -> bytes:
    return leaf_hash(leaf_bytes(stream_id, version, global_position, event_hash))


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass
class Frontier:
    """The compact range [0, size): one hash per set bit of size, largest subtree first."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf_digest: bytes) -> None:
        # Adding a leaf is a binary increment: each trailing one bit of the old size is a
        # perfect subtree of equal size to merge with.
        carry = leaf_digest
        size = self.size
        while size & 1:
            carry = node_hash(self.hashes.pop(), carry)
            size >>= 1
        self.hashes.append(carry)
        self.size += 1

    def append_subtree(self, digest: bytes, leaves: int) -> None:
        """Add the root of a perfect subtree of ``leaves`` (a power of two) leaves; the size
        must be a multiple of ``leaves`` (the subtree is aligned, as in the full tree)."""
        if leaves & (leaves - 1) or self.size % leaves:
            raise ValueError(f"no aligned subtree of {leaves} leaves at size {self.size}")
        carry, bit = digest, leaves
        while self.size & bit:
            carry = node_hash(self.hashes.pop(), carry)
            bit <<= 1
        self.hashes.append(carry)
        self.size += leaves

    def extend(self, leaf_digests: Iterable[bytes]) -> None:
        for digest in leaf_digests:
            self.append(digest)

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for digest in reversed(self.hashes[:-1]):
            acc = node_hash(digest, acc)
        return acc

    def ranges(self) -> list[tuple[int, int]]:
        """The leaf range [start, end) of each hash, in order."""
        out, start = [], 0
        for bit in reversed(range(self.size.bit_length())):
            if self.size >> bit & 1:
                out.append((start, start + (1 << bit)))
                start += 1 << bit
        return out

    def copy(self) -> Frontier:
        return Frontier(self.size, list(self.hashes))

    def to_hex(self) -> list[str]:
        return [digest.hex() for digest in self.hashes]

    @classmethod
    def from_hex(cls, size: int, hashes: Sequence[str]) -> Frontier:
        frontier = cls(size, [bytes.fromhex(h) for h in hashes])
        if len(frontier.hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes")
        return frontier


class MerkleTree:
    """Leaves [0, size) of which [0, base.size) are known only by their compact range.

    With ``base`` empty this is the whole tree and gives every proof. With a base it gives
    the consistency proof from ``base.size`` (or any later size) and inclusion proofs of the
    new leaves: every node those proofs need is a node of the base's compact range or lies
    in the new leaves (tested against full trees).
    """

    def __init__(self, leaves: Iterable[bytes] = (), base: Frontier | None = None) -> None:
        self._base = base.copy() if base else Frontier()
        self._base_nodes = dict(zip(self._base.ranges(), self._base.hashes, strict=True))
        # levels[h][i]: the perfect subtree of 2**h new leaves starting at new leaf i * 2**h.
        self._levels: list[list[bytes]] = [list(leaves)]
        self._build()

    @property
    def size(self) -> int:
        return self._base.size + len(self._levels[0])

    def append(self, leaf_digest: bytes) -> None:
        self._levels[0].append(leaf_digest)
        index, height = len(self._levels[0]) - 1, 0
        while index & 1:
            if len(self._levels) == height + 1:
                self._levels.append([])
            below = self._levels[height]
            self._levels[height + 1].append(node_hash(below[index - 1], below[index]))
            index >>= 1
            height += 1

    def _build(self) -> None:
        leaves = self._levels[0]
        self._levels = [leaves]
        level = leaves
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) of this tree."""
        if end - start < 1 or end > self.size:
            raise ValueError(f"no subtree [{start}, {end}) in a tree of {self.size}")
        known = self._base_nodes.get((start, end))
        if known is not None:
            return known
        n = end - start
        perfect = n & (n - 1) == 0
        offset = start - self._base.size
        if perfect and offset >= 0 and offset % n == 0:
            return self._levels[n.bit_length() - 1][offset // n]
        if perfect and end <= self._base.size:
            raise ValueError(f"[{start}, {end}) is inside the compact range; it is not kept")
        k = _split(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self) -> bytes:
        return self.root_at(self.size)

    def root_at(self, size: int) -> bytes:
        return EMPTY_ROOT if size == 0 else self.subtree(0, size)

    def inclusion_path(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) (RFC 9162 2.1.3.1)."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index - start < k:
                path.append(self.subtree(start + k, end))
                end = start + k
            else:
                path.append(self.subtree(start, start + k))
                start += k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[0:second]) (RFC 9162 2.1.4.1); empty when first is 0 or second."""
        second = self.size if second is None else second
        if not 0 <= first <= second <= self.size:
            raise ValueError(f"no consistency proof from {first} to {second}")
        if first in (0, second):
            return []
        proof: list[bytes] = []
        start, end, m, whole = 0, second, first, True
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                proof.append(self.subtree(start + k, end))
                end = start + k
            else:
                proof.append(self.subtree(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            proof.append(self.subtree(start, end))
        proof.reverse()
        return proof


def verify_inclusion(
    leaf_digest: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: is the leaf with this hash at ``index`` of the tree with ``root``?"""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf_digest
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """RFC 9162 2.1.4.2: is the tree (second, second_root) an extension of (first, first_root)?

    Sizes 0 and equal sizes, which the RFC leaves to the caller: every tree extends the
    empty one, and a tree extends itself only with the same root and an empty proof.
    """
    if not 0 <= first <= second:
        return False
    if first == 0:
        return not proof
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of 2
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
