"""The tamper-evident event log: every ``event`` row is hash-chained to the one before it.

Each row carries ``seq`` (its place in the chain), ``prev_hash`` (the hash of the row before it) and
``hash`` = SHA-256 of ``prev_hash`` and the row's content. Rows are chained when the transaction that
added them commits: it locks the one ``event_chain_head`` row (``SELECT … FOR UPDATE``; SQLite has
one writer at a time anyway), numbers its new rows after the head, hashes them and moves the head.
Taking that lock is the last thing a transaction does, so it cannot deadlock with the row locks the
transaction took before, and writers in several processes (web workers, the timer worker) queue
for the head instead of forking the chain; a unique index on ``seq`` refuses a fork at any rate.

An event row is never updated: a change to something an event said is a new event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.models import ChainHead, Event, utcnow

GENESIS = "0" * 64
# The columns a row's hash covers. Adding a column to ``event`` means deciding here whether it is
# chained (and then old rows need a value that hashes as before) or left out, as the links are.
CHAINED = ("id", "seq", "at", "kind", "zone_id", "instance_id", "actor_id", "actor", "role", "organisation",
           "organisation_en", "bpmn_id", "task_name", "task_name_en", "decision", "comment", "ip", "data")
LINKS = ("prev_hash", "hash")
_PENDING = "workflow.chain.pending"
_TABLE = Event.__table__
BATCH = 2000


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def digest(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of a row: its predecessor's hash and its chained columns as canonical JSON."""
    content = {name: _value(row[name]) for name in CHAINED}
    content["data"] = json.loads(json.dumps(content["data"] or {}, default=str))
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def _track(session: Session, _flush_context) -> None:
    """After each flush: remember the events it inserted, as they were written, to chain them at commit.

    The content is taken now, while the objects hold exactly what the INSERT sent (their ids included),
    so chaining needs no second read of the rows.
    """
    new = [obj for obj in session.new if isinstance(obj, Event)]
    if new:
        session.info.setdefault(_PENDING, []).extend((e, _content(e)) for e in new)


def _content(event: Event) -> dict[str, Any]:
    content = {name: getattr(event, name) for name in CHAINED if name != "seq"}
    content["data"] = json.loads(json.dumps(content["data"] or {}, default=str))
    return content


def _forget(session: Session, transaction) -> None:
    """When the outermost transaction ends, its pending events are chained or gone; a savepoint's end is not that."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


_HEAD = ChainHead.__table__
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_LINK = _TABLE.update().where(_TABLE.c.id == bindparam("_id")).values(seq=bindparam("seq"),
                                                                     prev_hash=bindparam("prev_hash"),
                                                                     hash=bindparam("hash"))
_MOVE_HEAD = _HEAD.update().where(_HEAD.c.id == 1).values(seq=bindparam("seq"), hash=bindparam("hash"),
                                                         event_id=bindparam("event_id"),
                                                         updated_at=bindparam("updated_at"))


def _append(session: Session) -> None:
    """Before commit: chain the events this transaction added, after the head, under the head's lock.

    Three statements however many events: lock and read the head, link the events, move the head.
    """
    session.flush()
    # Events of a savepoint that was rolled back left the session (transient again): they are not chained.
    pending = [item for item in session.info.pop(_PENDING, ()) if inspect(item[0]).persistent]
    if not pending:
        return
    connection = session.connection()
    head = connection.execute(_LOCK_HEAD).one_or_none()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    links = []
    for event, content in sorted(pending, key=lambda item: item[0].id):
        seq += 1
        link = {"_id": event.id, "seq": seq, "prev_hash": prev, "hash": digest(prev, {**content, "seq": seq})}
        links.append(link)
        prev = link["hash"]
        for name in ("seq", "prev_hash", "hash"):
            set_committed_value(event, name, link[name])
    connection.execute(_LINK, links)
    moved = {"seq": seq, "hash": prev, "event_id": links[-1]["_id"], "updated_at": utcnow()}
    if head is None:
        connection.execute(_HEAD.insert().values(id=1, **moved))
    else:
        connection.execute(_MOVE_HEAD, moved)


def install(sessions) -> None:
    """Chain the events of every session ``sessions`` (a sessionmaker or Session class) makes."""
    from sqlalchemy import event as sa_event

    if sa_event.contains(sessions, "before_commit", _append):
        return
    sa_event.listen(sessions, "after_flush", _track)
    sa_event.listen(sessions, "before_commit", _append)
    sa_event.listen(sessions, "after_transaction_end", _forget)


@dataclass(frozen=True)
class Break:
    """Where the chain does not hold: the event and what is wrong with it."""

    event_id: int
    reason: str  # a key of REASONS

    def __str__(self) -> str:
        return f"event {self.event_id}: {REASONS[self.reason]}"


REASONS = {
    "edited": "its content no longer matches its hash (edited after it was written)",
    "not_following": "it does not follow the event before it (that event was rewritten, or this one inserted)",
    "missing_before": "events before it are missing (deleted)",
    "missing_after": "the events after it that the chain head records are missing (deleted)",
    "rewritten": "its hash differs from the one the chain head recorded (rewritten)",
    "after_head": "it lies beyond the recorded chain head (appended outside the application)",
    "unchained": "it is not in the chain (inserted outside the application)",
}


@dataclass
class Verdict:
    """The outcome of checking the whole chain."""

    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    breaks: list[Break] = field(default_factory=list)
    anchor_ok: bool | None = None

    @property
    def holds(self) -> bool:
        return not self.breaks and self.anchor_ok is not False

    @property
    def first(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    updated_at: datetime | None


def head(connection: Connection) -> Head:
    """The newest link: what to write down outside the database to anchor the chain."""
    row = connection.execute(select(ChainHead.seq, ChainHead.hash, ChainHead.updated_at)
                             .where(ChainHead.id == 1)).one_or_none()
    return Head(row.seq, row.hash, row.updated_at) if row else Head(0, GENESIS, None)


def _chained_rows(connection: Connection) -> Iterator[Mapping[str, Any]]:
    last = 0
    while True:
        batch = connection.execute(select(_TABLE).where(_TABLE.c.seq > last).order_by(_TABLE.c.seq)
                                   .limit(BATCH)).mappings().all()
        if not batch:
            return
        yield from batch
        last = batch[-1]["seq"]


def verify(connection: Connection, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain in order and report every place it does not hold (``anchor``: a seq and hash on record)."""
    head = connection.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == 1)).one_or_none()
    verdict = Verdict(head_seq=head.seq if head else 0, head_hash=head.hash if head else GENESIS)
    seq, prev, last_id = 0, GENESIS, None
    for row in _chained_rows(connection):
        verdict.count += 1
        if row["seq"] > verdict.head_seq:
            verdict.breaks.append(Break(row["id"], "after_head"))
        elif row["seq"] != seq + 1:
            verdict.breaks.append(Break(row["id"], "missing_before"))
        elif row["prev_hash"] != prev:
            verdict.breaks.append(Break(row["id"], "not_following"))
        elif row["hash"] != digest(prev, row):
            verdict.breaks.append(Break(row["id"], "edited"))
        if anchor and row["seq"] == anchor[0]:
            verdict.anchor_ok = row["hash"] == anchor[1]
        seq, prev, last_id = row["seq"], row["hash"], row["id"]
    if head is not None and seq < verdict.head_seq:
        verdict.breaks.append(Break(last_id or 0, "missing_after"))
    elif seq and seq == verdict.head_seq and prev != verdict.head_hash:
        verdict.breaks.append(Break(last_id or 0, "rewritten"))
    unchained = connection.execute(select(_TABLE.c.id).where(_TABLE.c.seq.is_(None)).order_by(_TABLE.c.id))
    verdict.breaks.extend(Break(i, "unchained") for i in unchained.scalars())
    if anchor and verdict.anchor_ok is None:
        verdict.anchor_ok = False
    return verdict
