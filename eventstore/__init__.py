"""Event store: append-only, hash-chained, commit-safe event log on PostgreSQL."""

from eventstore._records import init_connection
from eventstore.errors import (
    ConcurrencyError,
    DuplicateEventError,
    EventStoreError,
    InvalidEventError,
    MigrationError,
    StreamNotFound,
)
from eventstore.hashing import compute_hash, verify_events
from eventstore.memory import InMemoryEventStore
from eventstore.migrator import MigrationSource, migrate
from eventstore.models import (
    ANY,
    GENESIS_HASH,
    NO_STREAM,
    AppendResult,
    ChainBreak,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamHead,
    VerifyReport,
)
from eventstore.notifier import NOTIFY_CHANNEL
from eventstore.protocol import EventRow, EventStore
from eventstore.store import PostgresEventStore
from eventstore.upcasting import UpcasterRegistry

__all__ = [
    "ANY",
    "GENESIS_HASH",
    "NOTIFY_CHANNEL",
    "NO_STREAM",
    "AppendResult",
    "ChainBreak",
    "ConcurrencyError",
    "DuplicateEventError",
    "EventRow",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "InMemoryEventStore",
    "InvalidEventError",
    "MigrationError",
    "MigrationSource",
    "NewEvent",
    "PostgresEventStore",
    "RecordedEvent",
    "StreamHead",
    "StreamNotFound",
    "UpcasterRegistry",
    "VerifyReport",
    "compute_hash",
    "init_connection",
    "migrate",
    "verify_events",
]
