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
from dsp import Chunk, Event, Pipeline

_RECENT_EVENTS = 8
_LEVEL_WINDOW_S = 0.5

_CLASS_STYLE = {"fasciculation": "red", "cramp": "bold blue", "voluntary": "green", "artifact": "grey50"}

_LIVE_HINT = {
    "fasciculation": "a brief twitch of one motor unit: common and usually harmless",
    "cramp": "sustained involuntary activity (cramp-like): gentle stretching or massage may help",
    "voluntary": "a voluntary contraction",
    "artifact": "an artefact (movement, electrode or interference), not muscle activity",
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

    @property
    def signal_s(self) -> float:
        return self.samples / self.fs


def event_line(ev: Event) -> str:
    """One line per event for the plain view (stable enough to grep)."""
    kind = ev.trial_type + (f"/{ev.subtype}" if ev.subtype else "")
    return (f"{ev.onset_s:9.3f}s  {kind:<22} {','.join(ev.channels):<16} {ev.duration_s:8.3f}s "
            f"{ev.peak_uv:8.1f}uV  conf {ev.confidence:.2f}  {ev.evidence}")


def _render_dashboard(state: MonitorState):
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    header = Text(
        f"{state.source}   {state.fs:g} Hz, {len(state.channels)} ch   signal {state.signal_s:7.1f} s   "
        f"lost {state.lost} samples" + (f"   recording to {state.recording_to}" if state.recording_to else "")
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
    counts = Text("  ".join(f"{k}: {v}" for k, v in state.counts.items()))
    events = Table(show_header=True, header_style="bold", box=None, expand=True)
    for col, width in (("onset", 9), ("class", 22), ("channels", 12), ("duration", 8), ("peak µV", 7),
                       ("conf", 4), ("evidence", None)):
        events.add_column(col, overflow="ellipsis", no_wrap=True, min_width=width, ratio=None if width else 1)
    for ev in sorted(state.recent, key=lambda e: -e.onset_s):
        events.add_row(f"{ev.onset_s:.2f}s", Text(ev.trial_type + (f"/{ev.subtype}" if ev.subtype else ""),
                                                   style=_CLASS_STYLE[ev.trial_type]),
                       ",".join(ev.channels), f"{ev.duration_s:.3f}s", f"{ev.peak_uv:.0f}",
                       f"{ev.confidence:.2f}", ev.evidence)
    hint = Text("")
    if state.ongoing:
        hint = Text(f"now: {state.ongoing}. If you are not moving it, stretching the muscle gently may help.",
                    style="bold yellow")
    elif state.recent:
        last = state.recent[-1]
        hint = Text(f"last event: {_LIVE_HINT[last.trial_type]}", style=_CLASS_STYLE[last.trial_type])
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
        handle(clf.feed(pipe.process(chunk)))
        new = watch.update(pipe.ongoing(), chunk.t0 + chunk.n_samples / chunk.fs)
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
        handle(clf.feed(pipe.flush()) + clf.flush())
        state.quality = pipe.quality()
        if live is not None:
            live.update(_render_dashboard(state))
            live.stop()
        if writer is not None:
            writer.close()
    return state
