"""The RFC 9162 Merkle log: hand-computed small trees, and every proof for sizes 1..64."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstore.merkle import (
    EMPTY_ROOT,
    Frontier,
    MerkleTree,
    leaf_bytes,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


LEAVES = [leaf_hash(f"leaf {i}".encode()) for i in range(64)]


def test_hashes_are_domain_separated_as_rfc_9162_says() -> None:
    assert leaf_hash(b"x") == sha(b"\x00x")
    assert node_hash(b"a" * 32, b"b" * 32) == sha(b"\x01" + b"a" * 32 + b"b" * 32)
    assert sha(b"") == EMPTY_ROOT


def test_leaf_bytes_are_the_documented_lines() -> None:
    assert leaf_bytes("plan-x", 3, 1025, "ab" * 32) == ("plan-x\n3\n1025\n" + "ab" * 32).encode()


def test_a_tree_of_three_is_built_by_hand() -> None:
    a, b, c = LEAVES[:3]
    expected = node_hash(node_hash(a, b), c)
    assert MerkleTree([a, b, c]).root() == expected
    frontier = Frontier()
    frontier.extend([a, b, c])
    assert frontier.root() == expected
    assert frontier.hashes == [node_hash(a, b), c]


def test_a_tree_of_seven_and_its_proofs_by_hand() -> None:
    d = LEAVES[:7]
    ab, cd, ef = node_hash(d[0], d[1]), node_hash(d[2], d[3]), node_hash(d[4], d[5])
    abcd, efg = node_hash(ab, cd), node_hash(ef, d[6])
    tree = MerkleTree(d)
    assert tree.root() == node_hash(abcd, efg)
    # RFC 9162 2.1.5's example tree: the path of d0 is [b, h(c,d), h(e,f,g)].
    assert tree.inclusion_path(0) == [d[1], cd, efg]
    assert tree.inclusion_path(6) == [ef, abcd]
    # Consistency proofs of the RFC's example: PROOF(3, D[7]) = [c, d, g, l] in its names.
    assert tree.consistency_proof(3, 7) == [d[2], d[3], ab, efg]
    assert tree.consistency_proof(4, 7) == [efg]
    assert tree.consistency_proof(6, 7) == [ef, d[6], abcd]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 64))
def test_every_inclusion_proof_verifies_and_an_altered_one_fails(size: int) -> None:
    tree = MerkleTree(LEAVES[:size])
    root = tree.root()
    for index in range(size):
        path = tree.inclusion_path(index)
        assert verify_inclusion(LEAVES[index], index, size, path, root)
        assert not verify_inclusion(leaf_hash(b"forged"), index, size, path, root)
        if size > 1:
            assert not verify_inclusion(LEAVES[index], (index + 1) % size, size, path, root)
        for position in range(len(path)):
            bent = list(path)
            bent[position] = sha(bent[position])
            assert not verify_inclusion(LEAVES[index], index, size, bent, root)
        assert not verify_inclusion(LEAVES[index], index, size, [*path, root], root)


@settings(max_examples=40, deadline=None)
@given(second=st.integers(1, 64))
def test_every_consistency_proof_verifies_and_an_altered_one_fails(second: int) -> None:
    tree = MerkleTree(LEAVES[:second])
    new_root = tree.root()
    for first in range(1, second + 1):
        old_root = tree.root_at(first)
        proof = tree.consistency_proof(first, second)
        assert verify_consistency(first, second, proof, old_root, new_root)
        assert not verify_consistency(first, second, proof, sha(old_root), new_root)
        assert not verify_consistency(first, second, proof, old_root, sha(new_root))
        for position in range(len(proof)):
            bent = list(proof)
            bent[position] = sha(bent[position])
            assert not verify_consistency(first, second, bent, old_root, new_root)
        if first < second:
            # The old tree with one leaf changed is not extended by the new one.
            altered = [*LEAVES[: first - 1], leaf_hash(b"changed"), *LEAVES[first:second]]
            forged = MerkleTree(altered)
            assert not verify_consistency(
                first, second, forged.consistency_proof(first), old_root, forged.root()
            )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_proofs_from_a_compact_range_equal_proofs_from_the_whole_tree(data: st.DataObject) -> None:
    second = data.draw(st.integers(2, 64))
    first = data.draw(st.integers(1, second - 1))
    base = Frontier()
    base.extend(LEAVES[:first])
    partial = MerkleTree(LEAVES[first:second], base=base)
    whole = MerkleTree(LEAVES[:second])
    assert partial.root() == whole.root()
    assert partial.consistency_proof(first) == whole.consistency_proof(first)
    for index in range(first, second):
        assert partial.inclusion_path(index) == whole.inclusion_path(index)


@given(size=st.integers(0, 64))
def test_frontier_round_trips_and_matches_the_tree(size: int) -> None:
    frontier = Frontier()
    frontier.extend(LEAVES[:size])
    assert frontier.root() == (MerkleTree(LEAVES[:size]).root() if size else EMPTY_ROOT)
    again = Frontier.from_hex(size, frontier.to_hex())
    assert again == frontier
    tree = MerkleTree(LEAVES[:size])
    for (start, end), digest in zip(frontier.ranges(), frontier.hashes, strict=True):
        assert tree.subtree(start, end) == digest


def test_a_frontier_with_the_wrong_number_of_hashes_is_refused() -> None:
    with pytest.raises(ValueError, match="has 2 hashes"):
        Frontier.from_hex(3, ["00" * 32])


def test_edge_cases_the_rfc_leaves_to_the_caller() -> None:
    root = MerkleTree(LEAVES[:5]).root()
    assert verify_consistency(0, 5, [], EMPTY_ROOT, root)
    assert verify_consistency(5, 5, [], root, root)
    assert not verify_consistency(5, 5, [], root, sha(root))
    assert not verify_consistency(6, 5, [], root, root)
    assert not verify_consistency(2, 5, [], root, root)
    assert not verify_inclusion(LEAVES[0], 5, 5, [], root)
    with pytest.raises(ValueError):
        MerkleTree(LEAVES[:5]).inclusion_path(5)
