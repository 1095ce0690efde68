"""The SQLite session history: round trips, recurrence, deletion, schema and concurrency."""

from __future__ import annotations

import gc
import math
import multiprocessing
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import platformdirs
import pytest

from classifier.history import SCHEMA_VERSION, History, HistoryBusyError, Recurrence, default_history_path
from classifier.summary import SessionSummary
from dsp import Event, InputFormatError

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

SUMMARY = SessionSummary(
    duration_s=600.0,
    fs=250.0,
    channels=("calf_1", "calf_2"),
    device="cyton_250",
    fasciculations=23,
    fasciculation_rate_per_min={"calf_1": 2.1, "calf_2": 0.2},
    doublets=2,
    cramps=1,
    cramp_durations_s=(95.5,),
    voluntary=4,
    artifacts={"pop": 2},
    caveats=("a 250 Hz board misses small twitches",),
)


def _events(n: int, tag: str = "") -> list[Event]:
    out = []
    for i in range(n):
        kind = ("fasciculation", "cramp", "voluntary", "artifact")[i % 4]
        out.append(
            Event(
                channels=("calf_1", "calf_2") if i % 2 else ("calf_2",),
                onset_s=1.5 * i,
                offset_s=1.5 * i + (0.015 if kind == "fasciculation" else 1.0),
                peak_uv=math.nan if i == 3 else 40.0 + i,
                trial_type=kind,
                confidence=0.5 + 0.01 * i,
                evidence=f"{tag} event {i}\twith a tab",
                subtype="pop" if kind == "artifact" else "",
                features={"duration_s": 0.015, "peak_snr": 9.0 + i, "missing": math.nan},
            )
        )
    return out


def _same_event(a: Event, b: Event) -> bool:
    nan_equal = lambda x, y: (math.isnan(x) and math.isnan(y)) or x == y  # noqa: E731
    return (
        a.channels == b.channels and a.onset_s == b.onset_s and a.offset_s == b.offset_s
        and nan_equal(a.peak_uv, b.peak_uv) and a.trial_type == b.trial_type and a.confidence == b.confidence
        and a.evidence == b.evidence and a.subtype == b.subtype and a.features.keys() == b.features.keys()
        and all(nan_equal(a.features[k], b.features[k]) for k in a.features)
    )  # fmt: skip


def test_round_trip(tmp_path):
    events = _events(9, "rt")
    with History(tmp_path / "h.sqlite3") as h:
        sid = h.add_session("file://night.bdf", SUMMARY, events, started_at=NOW)
        (rec,) = h.sessions()
        assert rec.id == sid and rec.source == "file://night.bdf" and rec.started_at == NOW
        assert (rec.duration_s, rec.fasciculations, rec.cramps, rec.longest_cramp_s, rec.voluntary) == (
            600.0, 23, 1, 95.5, 4,
        )  # fmt: skip
        assert rec.device == "cyton_250" and rec.channels == ("calf_1", "calf_2") and rec.doublets == 2
        assert rec.analysed_at.tzinfo is not None and abs(rec.analysed_at - datetime.now(UTC)) < timedelta(minutes=5)
        back = h.events(sid)
        assert len(back) == 9 and all(_same_event(a, b) for a, b in zip(events, back))
        assert h.summary(sid) == SUMMARY
        assert h.integrity_check() == "ok"


def test_naive_start_time_is_local_and_sessions_since_filters(tmp_path):
    with History(tmp_path / "h.sqlite3") as h:
        local = datetime(2026, 11, 20, 8, 30)
        h.add_session("a", SUMMARY, [], started_at=local)
        h.add_session("b", SUMMARY, [], started_at=NOW)
        h.add_session("c", SUMMARY, [], started_at=NOW - timedelta(days=30))
        assert h.sessions()[1].started_at == local.astimezone(UTC)
        assert [r.source for r in h.sessions()] == ["c", "a", "b"]  # oldest first
        assert [r.source for r in h.sessions(since=NOW - timedelta(hours=1))] == ["b"]


def test_recurrence_counts_distinct_days_and_week_sessions(tmp_path):
    twitch = SessionSummary(duration_s=60.0, fs=250.0, channels=("c",), fasciculations=3)
    quiet = SessionSummary(duration_s=60.0, fs=250.0, channels=("c",))
    cramp = SUMMARY
    plan = [
        (NOW - timedelta(days=40), twitch),  # before the window: only the first_* days see it
        (NOW - timedelta(days=13, hours=1), cramp),  # day 13 back: inside 14 days, not this week
        (NOW - timedelta(days=3), cramp),
        (NOW - timedelta(days=3, hours=2), cramp),  # same day as the last one
        (NOW - timedelta(hours=1), twitch),
        (NOW - timedelta(hours=2), quiet),
        (NOW + timedelta(days=1), cramp),  # in the future relative to `now`: ignored
    ]
    with History(tmp_path / "h.sqlite3") as h:
        for when, summary in plan:
            h.add_session("sim://x", summary, [], started_at=when)
        rec = h.recurrence(days=14, now=NOW, tz=UTC)
        with pytest.raises(ValueError, match="days must be >= 1"):
            h.recurrence(days=0)
    assert isinstance(rec, Recurrence)
    assert rec.sessions == 5
    assert rec.cramp_days == 2 and rec.cramp_dates == (date(2026, 11, 12), date(2026, 11, 22))
    assert rec.twitch_days == 3  # cramp sessions in SUMMARY also hold twitches
    assert rec.sessions_with_cramps_last_7d == 2
    assert rec.first_twitch_day == date(2026, 10, 16) and rec.last_twitch_day == date(2026, 11, 25)
    assert rec.longest_cramp_s == 95.5


def test_delete_and_delete_all(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path) as h:
        ids = [h.add_session(f"s{i}", SUMMARY, _events(5, f"s{i}")) for i in range(3)]
        h.delete(ids[1])
        assert [r.id for r in h.sessions()] == [ids[0], ids[2]]
        with pytest.raises(ValueError, match=rf"no session with id {ids[1]}"):
            h.events(ids[1])
        with pytest.raises(ValueError, match="no session with id 999"):
            h.delete(999)
        assert len(h.events(ids[0])) == 5
        h.delete_all()
        assert h.sessions() == []
    with sqlite3.connect(path) as raw:  # the events went with their sessions
        assert raw.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


def test_default_location_env_and_platformdirs(tmp_path, monkeypatch):
    monkeypatch.setenv("EMGWATCH_HOME", str(tmp_path / "home"))
    assert default_history_path() == tmp_path / "home" / "history.sqlite3"
    with History() as h:
        h.add_session("x", SUMMARY, [])
        assert h.path == tmp_path / "home" / "history.sqlite3"
    assert (tmp_path / "home" / "history.sqlite3").exists()
    monkeypatch.delenv("EMGWATCH_HOME")
    assert default_history_path() == Path(platformdirs.user_data_dir("emgwatch")) / "history.sqlite3"


def test_schema_version_and_bad_files(tmp_path):
    path = tmp_path / "h.sqlite3"
    History(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(InputFormatError, match=r"schema version 99 was written by a newer emgwatch"):
        History(path)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(InputFormatError, match=r"junk\.sqlite3: not a usable emgwatch history database"):
        History(junk)


def test_reopen_keeps_data_and_close_is_idempotent(tmp_path):
    path = tmp_path / "h.sqlite3"
    h = History(path)
    sid = h.add_session("x", SUMMARY, _events(3))
    h.close()
    h.close()
    with pytest.raises(ValueError, match="is closed"):
        h.sessions()
    with History(path) as again:
        assert len(again.events(sid)) == 3
    with pytest.raises(TypeError, match="events\\[1\\] is not a dsp.Event"):
        with History(path) as h2:
            h2.add_session("x", SUMMARY, [_events(1)[0], "oops"])  # type: ignore[list-item]


def test_unclosed_history_warns(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    with pytest.warns(ResourceWarning, match="never closed"):
        del h
        gc.collect()


# -- several processes writing at once -------------------------------------------------

N_WORKERS = 4
N_SESSIONS = 12
N_EVENTS = 25


def _writer(path: str, worker: int, barrier) -> None:
    barrier.wait()  # start together so the writes really overlap
    with History(path) as h:
        for k in range(N_SESSIONS):
            h.add_session(f"worker{worker}/{k}", SUMMARY, _events(N_EVENTS, f"w{worker}s{k}"))


@pytest.mark.parametrize("reader_first", [True, False], ids=["reader-open", "fresh-file-race"])
def test_concurrent_writers_lose_nothing(tmp_path, reader_first):
    """Several processes add sessions at once; with ``reader_first=False`` they also race
    to create the file and its schema."""
    path = str(tmp_path / "shared.sqlite3")
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    barrier = ctx.Barrier(N_WORKERS + 1)
    procs = [ctx.Process(target=_writer, args=(path, w, barrier)) for w in range(N_WORKERS)]
    for p in procs:
        p.start()
    if reader_first:
        with History(path) as reader:  # a reader open in the parent while they write
            barrier.wait()
            while any(p.is_alive() for p in procs):
                assert 0 <= len(reader.sessions()) <= N_WORKERS * N_SESSIONS
                procs[0].join(0.05)
    else:
        barrier.wait()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with History(path) as h:
        records = h.sessions()
        assert sorted(r.source for r in records) == sorted(
            f"worker{w}/{k}" for w in range(N_WORKERS) for k in range(N_SESSIONS)
        )
        for r in records:
            events = h.events(r.id)
            worker, k = r.source.removeprefix("worker").split("/")
            assert len(events) == N_EVENTS and events[-1].evidence.startswith(f"w{worker}s{k} event {N_EVENTS - 1}")
        assert h.integrity_check() == "ok"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("SELECT COUNT(*) FROM events").fetchone()[0] == N_WORKERS * N_SESSIONS * N_EVENTS


def test_a_lock_held_too_long_is_a_clear_busy_error(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path, busy_timeout_s=0.2) as h:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        with pytest.raises(HistoryBusyError, match=r"h\.sqlite3: could not add a session: .*more than 0\.2 s"):
            h.add_session("x", SUMMARY, _events(2))
        blocker.execute("ROLLBACK")
        blocker.close()
        sid = h.add_session("x", SUMMARY, _events(2))  # nothing half-written before
        assert [r.id for r in h.sessions()] == [sid] and len(h.events(sid)) == 2
