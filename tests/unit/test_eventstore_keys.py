"""Signing key files: 0600 from creation, refused when readable by others, rotation
endorsed by the old key; and the checkpoint statement's canonical form."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from eventstore.keys import KeyFileError, load_or_create, public_records, rotate
from eventstore.tree_head import TreeHead, TreeHeadError, endorsement_message, signature_valid


def test_a_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.pem"
    first = load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create(path).key_id == first.key_id


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pem"
    load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_or_create(path)


def test_rotation_keeps_the_old_public_key_and_endorses_the_new(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pem"
    old, new = rotate(path)
    _, newest = rotate(path)
    records = public_records(path)
    assert [r.key_id for r in records] == [old.key_id, new.key_id, newest.key_id]
    assert records[0].endorsed_by is None
    assert records[1].endorsed_by == old.key_id and records[1].endorsement is not None
    assert signature_valid(old.public_key, endorsement_message(new.key_id), records[1].endorsement)
    assert not signature_valid(
        new.public_key, endorsement_message(new.key_id), records[1].endorsement
    )


def test_a_statement_reads_back_and_only_in_canonical_form() -> None:
    head = TreeHead("acip", 7, b"\x01" * 32, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "ab")
    statement = head.statement()
    assert statement == (
        "acip checkpoint v1\nacip\n7\n" + "01" * 32 + "\n2026-01-02T03:04:05.000000Z\nab\n"
    )
    assert TreeHead.parse(statement) == head
    with pytest.raises(TreeHeadError):
        TreeHead.parse(statement.replace("\n7\n", "\n07\n"))
    with pytest.raises(TreeHeadError):
        TreeHead.parse(statement + "extra\n")
