"""Facts carried from one model into the next by field name: a command's fields into the
event it causes (decide), an event's into the state it folds into (evolve).

What differs between the two models is named at the call; what both declare is copied, so a
field added to a command and its event (or to an event and its state) needs no line here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


@cache
def _shared(target: type[BaseModel], source: type[BaseModel]) -> frozenset[str]:
    # "type" is each model's own discriminator, never a fact to carry.
    return frozenset(target.model_fields) & frozenset(source.model_fields) - {"type"}


@cache
def _reader(target: type[BaseModel], source: type[BaseModel]) -> Callable[[Any], dict[str, Any]]:
    # evolve() carries on every event of a rebuild: the names and their getter once per pair.
    names = tuple(sorted(_shared(target, source)))
    get = attrgetter(*names)
    if len(names) == 1:
        return lambda model: {names[0]: get(model)}
    return lambda model: dict(zip(names, get(model), strict=True))


def carried(target: type[M], source: BaseModel, **facts: Any) -> M:
    """A ``target`` with the fields it shares with ``source``, then ``facts`` (which win).

    The values are passed as they are: for the models of one layer (an event's nested
    models are the state's own)."""
    data = _reader(target, type(source))(source)
    data.update(facts)
    return target(**data)


def recorded(event: type[M], command: BaseModel, actor: str, at: datetime, **facts: Any) -> M:
    """The ``event`` that ``command`` causes, by ``actor`` at ``at``: the fields both
    declare, then ``facts``. Copied as data, so a command's input model (a period target
    as sent) becomes the event's own."""
    names = _shared(event, type(command)) - facts.keys()
    return event(**command.model_dump(include=set(names)), actor=actor, at=at, **facts)
