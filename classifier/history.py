"""The local history: every analysed session and its events, in one SQLite file.

Where the file lives, first match wins:

1. the ``path`` argument of :class:`History`;
2. ``$EMGWATCH_HOME/history.sqlite3`` when the ``EMGWATCH_HOME`` environment variable
   names a directory;
3. ``platformdirs.user_data_dir("emgwatch")/history.sqlite3``.

Several processes may write at once (a ``monitor`` running while an ``analyze``
finishes): the file uses write-ahead logging, every connection waits up to
``busy_timeout_s`` for a lock instead of failing, and each session with all its events
is written in one ``BEGIN IMMEDIATE`` transaction, so a reader never sees half a
session. ``PRAGMA user_version`` holds the schema version; :data:`_MIGRATIONS` brings
an older file up to date when it is opened. Deleted rows are overwritten
(``secure_delete``), since this is health data the user asked to remove.

Times are stored as UTC ISO 8601 text. A naive ``datetime`` passed in is taken as
local time. "Days" (for recurrence) are calendar days in the local time zone unless
another ``tz`` is given.
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import NoReturn, TypeVar

import platformdirs

from classifier.summary import SessionSummary
from dsp import EmgwatchError, Event, InputFormatError

_T = TypeVar("_T")

#: Schema version written to ``PRAGMA user_version``.
SCHEMA_VERSION = 1

#: File name inside the data directory.
HISTORY_FILENAME = "history.sqlite3"


_SCHEMA_V1 = (
    # Times are UTC ISO 8601 text; channels are JSON lists; summary_json is the whole
    # SessionSummary; features is a JSON object (NaN allowed); a NULL peak_uv means NaN.
    "CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,"
    " analysed_at TEXT NOT NULL, started_at TEXT, duration_s REAL NOT NULL, fs REAL NOT NULL,"
    " channels TEXT NOT NULL, device TEXT NOT NULL, fasciculations INTEGER NOT NULL,"
    " doublets INTEGER NOT NULL, cramps INTEGER NOT NULL, longest_cramp_s REAL NOT NULL,"
    " voluntary INTEGER NOT NULL, summary_json TEXT NOT NULL)",
    "CREATE INDEX sessions_when ON sessions (COALESCE(started_at, analysed_at))",
    "CREATE TABLE events (session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, channels TEXT NOT NULL, onset_s REAL NOT NULL, offset_s REAL NOT NULL,"
    " peak_uv REAL, trial_type TEXT NOT NULL, confidence REAL NOT NULL, evidence TEXT NOT NULL,"
    " subtype TEXT NOT NULL, features TEXT NOT NULL, PRIMARY KEY (session_id, seq))",
)


def _create_v1(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V1:
        db.execute(statement)


#: ``_MIGRATIONS[v]`` turns a schema ``v - 1`` file into schema ``v``.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _create_v1}


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One stored session, as listed by :meth:`History.sessions`.

    ``analysed_at`` and ``started_at`` are timezone-aware (UTC); ``started_at`` is
    ``None`` when the source did not know when the signal began. Durations in s.
    """

    id: int
    source: str
    analysed_at: datetime
    started_at: datetime | None
    duration_s: float
    fasciculations: int
    cramps: int
    longest_cramp_s: float
    voluntary: int
    device: str
    fs: float = 0.0
    channels: tuple[str, ...] = ()
    doublets: int = 0

    @property
    def when(self) -> datetime:
        """When the signal began, or when it was analysed if that is unknown."""
        return self.started_at if self.started_at is not None else self.analysed_at


@dataclass(frozen=True, slots=True)
class Recurrence:
    """How often twitches and cramps showed up recently.

    Parameters
    ----------
    days : int
        Length of the window in calendar days, today included.
    sessions : int
        Sessions in the window.
    cramp_days, twitch_days : int
        Distinct calendar days in the window with at least one cramp / twitch.
    sessions_with_cramps_last_7d : int
        Sessions with a cramp in the 7 days (168 h) before ``now``.
    cramp_dates, twitch_dates : tuple of date
        The days counted above, oldest first.
    first_twitch_day, last_twitch_day : date or None
        First and last day with twitches in the whole history.
    first_cramp_day, last_cramp_day : date or None
        Same for cramps.
    longest_cramp_s : float
        Longest cramp in the window, s.
    """

    days: int
    sessions: int
    cramp_days: int
    twitch_days: int
    sessions_with_cramps_last_7d: int
    cramp_dates: tuple[date, ...] = ()
    twitch_dates: tuple[date, ...] = ()
    first_twitch_day: date | None = None
    last_twitch_day: date | None = None
    first_cramp_day: date | None = None
    last_cramp_day: date | None = None
    longest_cramp_s: float = 0.0


class HistoryBusyError(EmgwatchError, TimeoutError):
    """Another process held the history's write lock for longer than ``busy_timeout_s``.

    Example scenarios: a long-running ``analyze`` writing thousands of events while a
    second process with a short timeout tries to add a session.
    """


def _is_busy(err: sqlite3.Error) -> bool:
    return isinstance(err, sqlite3.OperationalError) and ("locked" in str(err) or "busy" in str(err))


def _raise_sql(err: sqlite3.Error, path: Path, action: str, busy_timeout_s: float) -> NoReturn:
    text = str(err)
    if _is_busy(err):
        raise HistoryBusyError(
            f"{path}: could not {action}: the history was locked by another process for more than "
            f"{busy_timeout_s:g} s; try again, or raise busy_timeout_s"
        ) from None
    if isinstance(err, sqlite3.OperationalError):
        raise EmgwatchError(f"{path}: could not {action}: {text}") from err
    raise InputFormatError(f"{path}: not a usable emgwatch history database: {text}") from None


def _retry_busy(step: Callable[[], _T], deadline: float) -> _T:
    """Run ``step``, retrying while SQLite says "locked" until ``deadline`` (monotonic s).

    The busy timeout covers most waits, but SQLite returns SQLITE_BUSY at once in a few
    cases (switching a new file to WAL, WAL recovery) to avoid deadlock; two processes
    creating the history together hit exactly those.
    """
    delay = 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as err:
            if not _is_busy(err) or time.monotonic() >= deadline:
                raise
        time.sleep(delay * (1.0 + random.random()))  # jitter: racing processes drift apart
        delay = min(2 * delay, 0.1)


def default_history_path() -> Path:
    """The history file used when no path is given (see the module docstring)."""
    home = os.environ.get("EMGWATCH_HOME")
    base = Path(home).expanduser() if home else Path(platformdirs.user_data_dir("emgwatch"))
    return base / HISTORY_FILENAME


def _to_utc_text(when: datetime) -> str:
    # Fixed-width UTC text sorts in time order, so SQL can compare it directly.
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _plain(value: object) -> object:
    # SessionSummary holds read-only mappings and tuples; JSON wants dicts and lists.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _nan_to_null(value: float) -> float | None:
    return value if math.isfinite(value) else None


class History:
    """The session history in one SQLite file.

    Parameters
    ----------
    path : str or path-like, optional
        The database file (created with its directory if missing). Default:
        :func:`default_history_path`.
    busy_timeout_s : float
        How long a writer waits for another process's lock before giving up, s.

    Raises
    ------
    InputFormatError
        If the file is not an emgwatch history (not SQLite, or a newer schema).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.busy_timeout_s = float(busy_timeout_s)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = _retry_busy(self._open, time.monotonic() + self.busy_timeout_s)
        except sqlite3.Error as err:
            _raise_sql(err, self.path, "open the history", self.busy_timeout_s)

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one per session.
        db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA secure_delete = ON")
            self._migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")  # two first openers must not both create tables
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise InputFormatError(
                    f"{self.path}: history schema version {version} was written by a newer emgwatch; "
                    f"this version reads up to {SCHEMA_VERSION}. Upgrade emgwatch or pass another path."
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                _MIGRATIONS[target](db)
            if version != SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- plumbing ---------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise ValueError(f"History {self.path} is closed")
        return self._db

    def close(self) -> None:
        """Close the database; safe to call twice."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_db", None) is not None:
            warnings.warn(f"History {self.path} was never closed", ResourceWarning, stacklevel=2)
            self.close()

    def _write(self, work: Callable[[sqlite3.Connection], int | None], action: str) -> int | None:
        with self._lock:
            db = self._conn()
            try:
                # Take the write lock now, so two writers never deadlock upgrading a read lock.
                _retry_busy(lambda: db.execute("BEGIN IMMEDIATE"), time.monotonic() + self.busy_timeout_s)
            except sqlite3.Error as err:
                _raise_sql(err, self.path, action, self.busy_timeout_s)
            try:
                result = work(db)
                db.execute("COMMIT")
            except BaseException as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(err, sqlite3.Error):
                    _raise_sql(err, self.path, action, self.busy_timeout_s)
                raise
            return result

    # -- writing ----------------------------------------------------------------------
    def add_session(
        self,
        source: str,
        summary: SessionSummary,
        events: Sequence[Event],
        started_at: datetime | None = None,
    ) -> int:
        """Store one session and its events in a single transaction.

        Parameters
        ----------
        source : str
            The source URL or file the session came from.
        summary : SessionSummary
            The session's counts (``classifier.summarize_session``).
        events : sequence of dsp.Event
            The classified events, onsets in s from the session start.
        started_at : datetime, optional
            When the signal began (naive = local time); ``None`` if unknown.

        Returns
        -------
        int
            The new session's id.
        """
        if not isinstance(summary, SessionSummary):
            raise TypeError(f"add_session: summary must be a SessionSummary, got {type(summary).__name__}")
        bad = [i for i, e in enumerate(events) if not isinstance(e, Event)]
        if bad:
            raise TypeError(f"add_session: events[{bad[0]}] is not a dsp.Event")
        now = _to_utc_text(datetime.now(timezone.utc))
        summary_json = json.dumps(
            {f.name: _plain(getattr(summary, f.name)) for f in fields(SessionSummary)}
        )
        row = (
            str(source), now, None if started_at is None else _to_utc_text(started_at),
            summary.duration_s, summary.fs, json.dumps(list(summary.channels)), summary.device,
            summary.fasciculations, summary.doublets, summary.cramps, summary.longest_cramp_s,
            summary.voluntary, summary_json,
        )
        event_rows = [
            (json.dumps(list(e.channels)), e.onset_s, e.offset_s, _nan_to_null(e.peak_uv), e.trial_type,
             e.confidence, e.evidence, e.subtype, json.dumps(dict(e.features)))
            for e in events
        ]

        def work(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "INSERT INTO sessions (source, analysed_at, started_at, duration_s, fs, channels, device,"
                " fasciculations, doublets, cramps, longest_cramp_s, voluntary, summary_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            sid = int(cur.lastrowid)
            db.executemany(
                "INSERT INTO events (session_id, seq, channels, onset_s, offset_s, peak_uv, trial_type,"
                " confidence, evidence, subtype, features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, i, *r) for i, r in enumerate(event_rows)],
            )
            return sid

        return int(self._write(work, "add a session"))

    def delete(self, session_id: int) -> None:
        """Delete one session and its events.

        Raises
        ------
        ValueError
            If there is no session ``session_id``.
        """

        def work(db: sqlite3.Connection) -> None:
            if db.execute("DELETE FROM sessions WHERE id = ?", (int(session_id),)).rowcount == 0:
                raise ValueError(f"{self.path}: no session with id {session_id}")

        self._write(work, f"delete session {session_id}")

    def delete_all(self) -> None:
        """Delete every session and event (the file and its schema stay)."""

        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM events")
            db.execute("DELETE FROM sessions")

        self._write(work, "delete the history")

    # -- reading ----------------------------------------------------------------------
    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            db = self._conn()
            try:
                return db.execute(sql, args).fetchall()
            except sqlite3.Error as err:
                _raise_sql(err, self.path, "read the history", self.busy_timeout_s)

    def sessions(self, since: datetime | None = None) -> list[SessionRecord]:
        """Sessions that began (or, if unknown, were analysed) at or after ``since``, oldest first."""
        sql = (
            "SELECT id, source, analysed_at, started_at, duration_s, fasciculations, cramps, longest_cramp_s,"
            " voluntary, device, fs, channels, doublets FROM sessions"
        )
        args: tuple = ()
        if since is not None:
            sql += " WHERE COALESCE(started_at, analysed_at) >= ?"
            args = (_to_utc_text(since),)
        sql += " ORDER BY COALESCE(started_at, analysed_at), id"
        return [
            SessionRecord(
                id=r[0], source=r[1], analysed_at=_from_text(r[2]), started_at=_from_text(r[3]),
                duration_s=r[4], fasciculations=r[5], cramps=r[6], longest_cramp_s=r[7], voluntary=r[8],
                device=r[9], fs=r[10], channels=tuple(json.loads(r[11])), doublets=r[12],
            )
            for r in self._read(sql, args)
        ]

    def events(self, session_id: int) -> list[Event]:
        """The events of one session, in the order they were given.

        Raises
        ------
        ValueError
            If there is no session ``session_id``.
        """
        self.summary(session_id)  # raises if there is no such session
        rows = self._read(
            "SELECT channels, onset_s, offset_s, peak_uv, trial_type, confidence, evidence, subtype, features"
            " FROM events WHERE session_id = ? ORDER BY seq",
            (int(session_id),),
        )
        return [
            Event(
                channels=tuple(json.loads(r[0])), onset_s=r[1], offset_s=r[2],
                peak_uv=math.nan if r[3] is None else r[3], trial_type=r[4], confidence=r[5],
                evidence=r[6], subtype=r[7], features=json.loads(r[8]),
            )
            for r in rows
        ]

    def summary(self, session_id: int) -> SessionSummary:
        """The stored ``SessionSummary`` of one session."""
        rows = self._read("SELECT summary_json FROM sessions WHERE id = ?", (int(session_id),))
        if not rows:
            raise ValueError(f"{self.path}: no session with id {session_id}")
        return SessionSummary(**json.loads(rows[0][0]))

    def recurrence(self, days: int = 14, now: datetime | None = None, tz: tzinfo | None = None) -> Recurrence:
        """Count the days and sessions with twitches or cramps in the last ``days`` days.

        Parameters
        ----------
        days : int
            Window length in calendar days, today included (14: the see-a-doctor rule
            "cramps on 3 or more days in 2 weeks").
        now : datetime, optional
            The moment "today" is taken from; default: now.
        tz : tzinfo, optional
            Time zone whose calendar days are counted; default: the local one.
        """
        if days < 1:
            raise ValueError(f"recurrence: days must be >= 1, got {days!r}")
        now = datetime.now(timezone.utc) if now is None else now.astimezone(timezone.utc)

        def day_of(t: datetime) -> date:
            return t.astimezone(tz).date()

        today = day_of(now)
        first_day = today - timedelta(days=days - 1)
        week_ago = now - timedelta(days=7)
        records = [r for r in self.sessions() if r.when <= now]
        in_window = [r for r in records if day_of(r.when) >= first_day]
        cramp_dates = sorted({day_of(r.when) for r in in_window if r.cramps > 0})
        twitch_dates = sorted({day_of(r.when) for r in in_window if r.fasciculations > 0})
        all_twitch = [day_of(r.when) for r in records if r.fasciculations > 0]
        all_cramp = [day_of(r.when) for r in records if r.cramps > 0]
        return Recurrence(
            days=days,
            sessions=len(in_window),
            cramp_days=len(cramp_dates),
            twitch_days=len(twitch_dates),
            sessions_with_cramps_last_7d=sum(1 for r in records if r.cramps > 0 and r.when >= week_ago),
            cramp_dates=tuple(cramp_dates),
            twitch_dates=tuple(twitch_dates),
            first_twitch_day=min(all_twitch, default=None),
            last_twitch_day=max(all_twitch, default=None),
            first_cramp_day=min(all_cramp, default=None),
            last_cramp_day=max(all_cramp, default=None),
            longest_cramp_s=max((r.longest_cramp_s for r in in_window), default=0.0),
        )

    def integrity_check(self) -> str:
        """Run ``PRAGMA integrity_check``; ``"ok"`` when the file is sound."""
        return "; ".join(r[0] for r in self._read("PRAGMA integrity_check"))
