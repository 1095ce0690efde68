"""The simulator as a board: ``sim://``.

URL form::

    sim://SCENARIO[?device=NAME][&seed=INT][&duration=S][&speed=X][&chunk=N]

Options:

* ``device``: a key of ``DEVICES`` (default ``cyton_250``);
* ``seed``: random seed (default: the scenario's);
* ``duration``: seconds to render (default: the scenario's);
* ``speed``: 1 = real time (default), X = X times faster, 0 = as fast as possible;
* ``chunk``: samples per chunk (default: fs/25, i.e. 40 ms, about a Cyton dongle's batching).

Example: ``sim://night_calf_cramp?device=ganglion_200&seed=3&speed=0``.

The whole recording is rendered when the source opens (``simulate()``), so the
streamed samples are exactly ``simulate()``'s, and ``.truth`` is available from
the start (an evaluation can score a stream as it runs).
"""

from __future__ import annotations

import math
import time

from dsp import Chunk, Event, UnknownSourceError
from firmware_bridge._devices import DEVICES
from firmware_bridge._scenario import list_scenarios, load_scenario
from firmware_bridge._simulate import SimRecording, simulate
from firmware_bridge._source import Source, _sleep_until, parse_source_url

_FORM = "sim://SCENARIO?device=NAME&seed=INT&duration=S&speed=X&chunk=N"
_OPTIONS = {"device": str, "seed": int, "duration": float, "speed": float, "chunk": int}


class SimSource(Source):
    """Stream a simulated recording as ``dsp.Chunk`` blocks, paced like a board.

    Parameters
    ----------
    scenario : str, path-like or SimRecording
        A scenario name or path (rendered with ``simulate``), or an already rendered recording.
    device : str
    seed : int, optional
    duration_s : float, optional
    speed : float
        Pace relative to real time; 0 = no pacing.
    chunk_samples : int, optional
        Samples per chunk (default fs/25).

    Attributes
    ----------
    recording : SimRecording
    truth : list of dsp.Event
        The ground truth of the whole stream.
    meta : dict
    """

    def __init__(self, scenario, device: str = "cyton_250", seed: int | None = None,
                 duration_s: float | None = None, speed: float = 1.0, chunk_samples: int | None = None) -> None:
        if not (speed >= 0.0):
            raise ValueError(f"speed must be >= 0 (0 = as fast as possible), got {speed!r}")
        if isinstance(scenario, SimRecording):
            recording = scenario
        else:
            recording = simulate(scenario, device=device, duration_s=duration_s, seed=seed)
        # Only now is there something to close: a failed render must not warn "never closed".
        super().__init__()
        self.recording = recording
        self.fs = self.recording.fs
        self.channels = self.recording.channels
        dev = DEVICES.get(str(self.recording.meta.get("device", "")))
        if dev is not None and math.isfinite(dev.rail_lo_uv) and math.isfinite(dev.rail_hi_uv):
            self.rails = (dev.rail_lo_uv, dev.rail_hi_uv)  # the device model clips there
        self.speed = float(speed)
        n = int(chunk_samples) if chunk_samples is not None else max(1, int(round(self.fs / 25.0)))
        if n < 1:
            raise ValueError(f"chunk_samples must be >= 1, got {chunk_samples!r}")
        self.chunk_samples = n
        self._next = 0
        self._t_start = time.monotonic()

    @property
    def truth(self) -> list[Event]:
        return self.recording.truth

    @property
    def meta(self) -> dict:
        return self.recording.meta

    @classmethod
    def from_url(cls, url: str) -> SimSource:
        """Build from ``sim://SCENARIO?...`` (see the module docstring)."""
        scenario, opts = parse_source_url(url, _OPTIONS, _FORM)
        if not scenario:
            raise UnknownSourceError(f"{url!r} names no scenario: expected {_FORM}; scenarios are {list_scenarios()}")
        try:
            load_scenario(scenario)
        except ValueError as err:
            raise UnknownSourceError(f"{url!r}: {err}") from None
        device = opts.get("device", "cyton_250")
        if device not in DEVICES:
            raise UnknownSourceError(f"unknown device {device!r} in {url!r}; devices are {sorted(DEVICES)}")
        speed = opts.get("speed", 1.0)
        if speed < 0:
            raise UnknownSourceError(f"speed must be >= 0 in {url!r}, got {speed!r}")
        src = cls(scenario, device=device, seed=opts.get("seed"), duration_s=opts.get("duration"), speed=speed,
                  chunk_samples=opts.get("chunk"))
        src.url = url
        return src

    def _read_internal(self, timeout: float | None) -> Chunk | None:
        rec = self.recording
        start = self._next
        if start >= rec.n_samples:
            self._mark_finished()
            return None
        stop = min(start + self.chunk_samples, rec.n_samples)
        if self.speed > 0:
            # A board delivers a block once its last sample has been acquired.
            deadline = self._t_start + (stop / self.fs) / self.speed
            if not _sleep_until(deadline, timeout):
                return None
        self._next = stop
        # A copy, as a board hands over fresh buffers: a consumer may filter in place.
        return Chunk(rec.data[start:stop].copy(), self.fs, start / self.fs, self.channels)
