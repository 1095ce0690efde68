"""Live monitoring: a source, the streaming pipeline, an optional recorder, a view.

The loop is the same one ``analyze`` uses (``dsp.Pipeline`` then
``classifier.Classifier``), fed chunk by chunk as they arrive, so a live
session finds what an offline analysis of its recording finds.

Two views: a full-screen terminal dashboard (rich) when stdout is a terminal,
and one line per event (``--plain``) for pipes, logs and tests.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier import Classifier
from classifier.ongoing import OngoingWatch
from classifier.scoring import peak_time
from dsp import Chunk, Event, Pipeline

_RECENT_EVENTS = 8
#: Rows of undecided twitches on the dashboard: at tens of twitches a minute
#: ~4 s of them are pending at once and would push the decided ones off.
_PROVISIONAL_ROWS = 4
_LEVEL_WINDOW_S = 0.5
#: A provisional twitch and its final event are one discharge if their peaks
#: are this close, s (the scoring tolerance of science.md 3.6).
_SAME_PEAK_S = 0.025
#: A provisional twitch with no final event this long after the classifier's
#: hold was withdrawn (the spike was absorbed into something else), s.
_WITHDRAW_MARGIN_S = 2.0

_CLASS_STYLE = {"fasciculation": "red", "cramp": "bold blue", "voluntary": "green", "artifact": "grey50"}

_LIVE_HINT = {
    "fasciculation": "a brief twitch of one motor unit: common and usually harmless",
    "cramp": "sustained involuntary activity (cramp-like): gentle stretching or massage may help",
    "voluntary": "a voluntary contraction",
    "artifact": "an artefact (movement, electrode or interference), not muscle activity",
}
#: ... and for subtypes that change what the class means to the user.
_SUBTYPE_HINT = {
    "weak_on_off": "a brief low-level contraction, one of several in a row: if you are not moving, "
                   "possibly a weak cramp breaking up",
}


@dataclass
class MonitorState:
    """What the view shows; updated by the loop, read by the renderers."""

    source: str
    fs: float
    channels: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)
    samples: int = 0
    lost: int = 0
    #: Gaps in the data (dropout events): how many and how long in all, s.
    #: A BLE board loses a packet every few seconds; listed one by one they
    #: pushed every other event off the dashboard.
    gaps: int = 0
    gap_s: float = 0.0
    #: Heartbeats picked up (ECG artefacts): one a second on a trunk muscle,
    #: so they are counted, not listed.
    heartbeats: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k in _CLASS_STYLE})
    recent: deque = field(default_factory=lambda: deque(maxlen=_RECENT_EVENTS))
    events: list[Event] = field(default_factory=list)
    quality: dict[str, dict[str, float]] = field(default_factory=dict)
    level_uv: np.ndarray | None = None
    noise_uv: np.ndarray | None = None
    recording_to: str = ""
    #: Sustained activity still going on, in words ("" when none): a cramp is
    #: classified only when it ends, so this is what the view says meanwhile.
    ongoing: str = ""
    alerts: list = field(default_factory=list)
    #: Provisional twitch calls not yet decided (``Classifier.preview``):
    #: shown within ~0.15 s of a discharge, replaced by the final event.
    provisional: list = field(default_factory=list)
    n_provisional: int = 0
    #: Provisional twitches the final decision did not confirm.
    n_withdrawn: int = 0

    @property
    def signal_s(self) -> float:
        return self.samples / self.fs


def event_line(ev: Event) -> str:
    """One line per event for the plain view (stable enough to grep)."""
    kind = ev.trial_type + (f"/{ev.subtype}" if ev.subtype else "")
    return (f"{ev.onset_s:9.3f}s  {kind:<22} {','.join(ev.channels):<16} {ev.duration_s:8.3f}s "
            f"{ev.peak_uv:8.1f}uV  conf {ev.confidence:.2f}  {ev.evidence}")


def provisional_line(ev: Event) -> str:
    """One line per provisional twitch for the plain view; no event class
    in the first columns, so a grep for final classes does not count it."""
    return (f"{ev.onset_s:9.3f}s  {'twitch? (checking)':<22} {','.join(ev.channels):<16} {ev.duration_s:8.3f}s "
            f"{ev.peak_uv:8.1f}uV  conf {ev.confidence:.2f}  {ev.evidence}")


def settle_provisional(state: MonitorState, final: list[Event], decided_s: float, hold_s: float) -> None:
    """Drop provisional twitches that a final event now covers, counting as
    withdrawn those it does not confirm as a twitch, and those with no final
    event once the classifier has seen bursts ``hold_s`` + 2 s past them
    (``decided_s``, its clock: the final rules absorbed the spike into
    something else). Signal time, not the reading time: a file read in big
    chunks jumps ahead of the decisions."""
    if not state.provisional:
        return
    keep = []
    for p in state.provisional:
        t, chans = peak_time(p), set(p.channels)
        covering = [e for e in final if chans & set(e.channels)
                    and (abs(peak_time(e) - t) <= _SAME_PEAK_S or e.onset_s <= t <= e.offset_s)]
        if covering:
            state.n_withdrawn += not any(e.trial_type == "fasciculation" for e in covering)
        elif decided_s - p.offset_s > hold_s + _WITHDRAW_MARGIN_S:
            state.n_withdrawn += 1
        else:
            keep.append(p)
    state.provisional = keep


def _losses(state: MonitorState) -> str:
    """Lost data in words. Samples the board's packet counter reports
    missing become dropout gaps too (dsp.Pipeline), so the gaps are the total;
    the counter is named while no gap has been decided yet (~4 s)."""
    if state.gaps:
        return f"data lost: {state.gap_s:.2f} s in {state.gaps} gap{'s' if state.gaps != 1 else ''}"
    if state.lost:
        return f"data lost: {state.lost} samples"
    return "no data lost"


def _render_dashboard(state: MonitorState):
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    header = Text(
        f"{state.source}   {state.fs:g} Hz, {len(state.channels)} ch   signal {state.signal_s:7.1f} s   "
        + _losses(state)
        + (f"   recording to {state.recording_to}" if state.recording_to else "")
    )
    levels = Table(show_header=True, header_style="bold", box=None, expand=True)
    levels.add_column("channel", width=12)
    levels.add_column("level over the noise floor (0.5 s RMS, log scale)", ratio=1)
    levels.add_column("µV", justify="right", width=8)
    levels.add_column("noise µV", justify="right", width=9)
    for i, name in enumerate(state.channels):
        lvl = float(state.level_uv[i]) if state.level_uv is not None else float("nan")
        noise = float(state.noise_uv[i]) if state.noise_uv is not None else float("nan")
        ratio = lvl / noise if noise and np.isfinite(noise) and noise > 0 and np.isfinite(lvl) else 0.0
        bar_len = int(min(40, max(0.0, np.log2(max(ratio, 1.0)) * 8)))
        colour = "green" if ratio < 3 else ("yellow" if ratio < 10 else "red")
        levels.add_row(name, Text("█" * bar_len, style=colour), f"{lvl:7.1f}", f"{noise:8.1f}")
    counts = Text("  ".join(f"{k}: {v}" for k, v in state.counts.items())
                  + (f" ({state.heartbeats} of them heartbeats, not listed)" if state.heartbeats else ""))
    events = Table(show_header=True, header_style="bold", box=None, expand=True)
    for col, width in (("onset", 9), ("class", 22), ("channels", 12), ("duration", 8), ("peak µV", 7),
                       ("conf", 4), ("evidence", None)):
        events.add_column(col, overflow="ellipsis", no_wrap=True, min_width=width, ratio=None if width else 1)
    for ev in sorted(state.provisional, key=lambda e: -e.onset_s)[:_PROVISIONAL_ROWS]:
        events.add_row(f"{ev.onset_s:.2f}s", Text("twitch? (checking)", style="red dim"), ",".join(ev.channels),
                       f"{ev.duration_s:.3f}s", f"{ev.peak_uv:.0f}", f"{ev.confidence:.2f}", ev.evidence)
    for ev in sorted(state.recent, key=lambda e: -e.onset_s):
        events.add_row(f"{ev.onset_s:.2f}s", Text(ev.trial_type + (f"/{ev.subtype}" if ev.subtype else ""),
                                                   style=_CLASS_STYLE[ev.trial_type]),
                       ",".join(ev.channels), f"{ev.duration_s:.3f}s", f"{ev.peak_uv:.0f}",
                       f"{ev.confidence:.2f}", ev.evidence)
    hint = Text("")
    if state.ongoing:
        hint = Text(f"now: {state.ongoing}. If you are not moving it, stretching the muscle gently may help.",
                    style="bold yellow")
    elif state.provisional and (not state.recent or state.provisional[-1].onset_s > state.recent[-1].onset_s):
        p = state.provisional[-1]
        hint = Text(f"just now: a brief spike on {','.join(p.channels)} that looks like a twitch "
                    "(checking the next seconds)", style="red")
    elif state.recent:
        last = state.recent[-1]
        what = _SUBTYPE_HINT.get(last.subtype, _LIVE_HINT[last.trial_type])
        hint = Text(f"last event: {what}", style=_CLASS_STYLE[last.trial_type])
    footer = Text("emgwatch informs; it does not diagnose.  Ctrl+C to stop.", style="dim")
    return Panel(Group(header, levels, counts, events, hint, footer), title="emgwatch monitor")


def run_monitor(
    source: Any,
    *,
    label: str,
    duration_s: float | None = None,
    record_to: Path | None = None,
    plain: bool = False,
    mains_hz: float | None | str = "auto",
    on_event: Callable[[Event], None] | None = None,
    read_timeout_s: float = 5.0,
) -> MonitorState:
    """Run the live loop until the source ends, ``duration_s`` of signal has
    passed, or Ctrl+C. Returns the final state (counts, recent events)."""
    first: Chunk | None = source.read(timeout=read_timeout_s)
    if first is None:
        from dsp import SourceTimeoutError

        raise SourceTimeoutError(f"{label}: no data within {read_timeout_s:g} s of opening")
    fs, channels = first.fs, first.channels
    state = MonitorState(source=label, fs=fs, channels=channels)
    pipe = Pipeline(fs, channels, mains_hz=mains_hz, rails=getattr(source, "rails", None))
    clf = Classifier(fs, channels)
    writer = None
    if record_to is not None:
        from recordings import RecordingWriter

        writer = RecordingWriter(record_to, fs, channels, device=label)
        state.recording_to = str(record_to)
    n_level = max(1, int(_LEVEL_WINDOW_S * fs))
    tail = np.zeros((0, len(channels)), dtype=np.float32)

    watch = OngoingWatch()

    def handle(events: list[Event]) -> None:
        for ev in events:
            state.counts[ev.trial_type] += 1
            if ev.subtype == "dropout":
                state.gaps += 1
                state.gap_s += ev.duration_s
            elif ev.subtype == "ecg":
                state.heartbeats += 1
            else:
                state.recent.append(ev)
            state.events.append(ev)
            if writer is not None:
                writer.add_event(ev)
            if plain:
                print(event_line(ev), flush=True)
            if on_event is not None:
                on_event(ev)

    def step(chunk: Chunk) -> None:
        nonlocal tail
        state.samples += chunk.n_samples
        state.lost += chunk.lost
        if writer is not None:
            writer.write(chunk)
        now_s = chunk.t0 + chunk.n_samples / chunk.fs
        final = clf.feed(pipe.process(chunk), settled_s=pipe.settled_s)
        handle(final)
        settle_provisional(state, final, clf.clock_s, clf.hold_s)
        early = clf.preview(pipe.preview())
        state.provisional += early
        state.n_provisional += len(early)
        if plain:
            for ev in early:
                print(provisional_line(ev), flush=True)
        new = watch.update(pipe.ongoing(), now_s)
        state.alerts += new
        if plain and new:
            first = min(a.onset_s for a in new)
            print(f"{first:9.3f}s  ongoing: sustained activity on {', '.join(a.channel for a in new)} for "
                  f"{new[0].at_s - first:.1f} s and still going (decided when it ends)", flush=True)
        state.ongoing = watch.describe()
        tail = np.concatenate([tail, chunk.data])[-n_level:]
        hp = tail - np.nanmean(tail, axis=0)
        with np.errstate(all="ignore"):
            state.level_uv = np.sqrt(np.nanmean(hp * hp, axis=0))
        state.noise_uv = pipe.noise_uv

    live = None
    try:
        if not plain:
            from rich.live import Live

            live = Live(_render_dashboard(state), refresh_per_second=8, screen=False)
            live.start()
        chunk: Chunk | None = first
        while chunk is not None:
            step(chunk)
            if live is not None:
                live.update(_render_dashboard(state))
            if duration_s is not None and state.signal_s >= duration_s:
                break
            chunk = source.read(timeout=read_timeout_s)
            if chunk is None and not getattr(source, "finished", True):
                from dsp import SourceTimeoutError

                raise SourceTimeoutError(
                    f"{label}: no data for {read_timeout_s:g} s after {state.signal_s:.1f} s of signal "
                    "(cable unplugged or board stopped?)"
                )
    finally:
        final = clf.feed(pipe.flush()) + clf.flush()
        handle(final)
        settle_provisional(state, final, clf.clock_s, clf.hold_s)
        state.n_withdrawn += len(state.provisional)  # never decided as a twitch
        state.provisional = []
        state.quality = pipe.quality()
        if live is not None:
            live.update(_render_dashboard(state))
            live.stop()
        if writer is not None:
            writer.close()
    return state
