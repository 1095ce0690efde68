"""Signal components rendered block by block at ``F_INT``, and the device chain with state.

A ``Track`` holds the *description* of one component (spike trains with their
templates, sparse waveforms such as ECG beats or pops, electrode noise, mains),
not its samples. ``render_through`` then renders it in blocks of about 20 s and
passes each block through the device's linear chain with the filter state
carried over (``LinearChain``), so memory stays bounded by the block and the
device-rate output, whatever the duration (design.md: a long night must not need
its whole length in memory at 4 kHz).
"""

from __future__ import annotations

import copy
import math

import numpy as np
from scipy import signal

from firmware_bridge._devices import F_INT, DeviceModel, _decimation_kernel, analog_sos
from firmware_bridge._firing import _render_kernel

#: Internal samples per block: ~20 s, a multiple of every device step and of the 10 Hz noise grid.
_BLOCK_S = 20.0


class _SpikeLayer:
    def __init__(self, times_s, units, amps, templates):
        n_taps = templates.shape[2]
        half = n_taps // 2
        # Trim taps that are negligible for every unit and channel (saves most of the work).
        mag = np.abs(templates).max(axis=(0, 1))
        keep = np.flatnonzero(mag > 1e-4 * mag.max())
        self.reach = int(max(half - keep[0], keep[-1] - half)) if keep.size else 0
        self.tpl = np.ascontiguousarray(templates[:, :, half - self.reach: half + self.reach + 1].transpose(0, 2, 1))
        idx = np.round(np.asarray(times_s) * F_INT).astype(np.int64)
        order = np.argsort(idx, kind="stable")
        self.idx = idx[order]
        self.units = np.asarray(units, np.int64)[order]
        self.amps = np.asarray(amps, np.float64)[order]
        #: sorted position of each spike, in the order they were given
        self.position = np.empty_like(order)
        self.position[order] = np.arange(order.size)

    def alone(self, k: int) -> _SpikeLayer:
        """A layer holding only spike ``k`` (in the order given to the constructor)."""
        j = int(self.position[k])
        one = copy.copy(self)  # shares the (trimmed) templates
        one.idx, one.units, one.amps = self.idx[j:j + 1], self.units[j:j + 1], self.amps[j:j + 1]
        one.position = np.zeros(1, dtype=self.position.dtype)
        return one

    def span(self, k: int) -> tuple[int, int]:
        """Internal samples ``[start, stop)`` that spike ``k`` reaches."""
        i = int(self.idx[self.position[k]])
        return i - self.reach, i + self.reach + 1

    def add_block(self, out: np.ndarray, i0: int) -> None:
        a = np.searchsorted(self.idx, i0 - self.reach, "left")
        b = np.searchsorted(self.idx, i0 + out.shape[0] + self.reach, "right")
        if b > a:
            _render_kernel(out, self.idx[a:b] - i0, self.units[a:b], self.amps[a:b], self.tpl, self.reach)


class _WaveLayer:
    """Sparse additions: ``wave[:, None] * gains[None, :]`` starting at internal sample ``start``."""

    def __init__(self):
        self.items: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._starts = self._ends = None

    def add(self, start: int, wave: np.ndarray, gains: np.ndarray) -> None:
        self.items.append((int(start), np.asarray(wave, np.float64), np.asarray(gains, np.float64)))
        self._starts = None

    def add_block(self, out: np.ndarray, i0: int) -> None:
        if self._starts is None:
            self._starts = np.array([s for s, _, _ in self.items], dtype=np.int64)
            self._ends = self._starts + np.array([w.size for _, w, _ in self.items], dtype=np.int64)
        i1 = i0 + out.shape[0]
        for k in np.flatnonzero((self._starts < i1) & (self._ends > i0)):
            start, wave, gains = self.items[k]
            a, b = max(start, i0), min(start + wave.size, i1)
            out[a - i0: b - i0] += wave[a - start: b - start, None] * gains[None, :]


class _NoiseLayer:
    """White + 1/f noise per channel; draws continue block after block from one generator."""

    def __init__(self, scale, c_pink, pink_b, pink_a, rng):
        self.scale = np.asarray(scale, float)
        self.c_pink, self.b, self.a, self.rng = c_pink, pink_b, pink_a, rng
        n_ch = self.scale.size
        self.zi = np.zeros((n_ch, len(pink_a) - 1))
        self.freqs = rng.uniform(0.002, 0.02, (n_ch, 2))
        self.phases = rng.uniform(0, 2 * np.pi, (n_ch, 2))

    def add_block(self, out: np.ndarray, i0: int) -> None:
        n = out.shape[0]
        # The ±30 % wander is slow (< 0.02 Hz): a 10 Hz grid, held, is exact enough.
        hold = int(F_INT // 10)
        t_c = (i0 // hold + np.arange(-(-n // hold))) / 10.0
        for ch in range(self.scale.size):
            x = self.rng.standard_normal(n)
            pink, self.zi[ch] = signal.lfilter(self.b, self.a, self.rng.standard_normal(n), zi=self.zi[ch])
            x += self.c_pink * pink
            f1, f2 = self.freqs[ch]
            p1, p2 = self.phases[ch]
            wander = 1.0 + 0.15 * (np.sin(2 * np.pi * f1 * t_c + p1) + np.sin(2 * np.pi * f2 * t_c + p2))
            x *= np.repeat(wander * self.scale[ch], hold)[:n]
            out[:, ch] += x


class _MainsLayer:
    def __init__(self, mains_hz, amp_uv, levels, phases, drift_phase, gains):
        self.f, self.amp, self.levels, self.phases = mains_hz, amp_uv, levels, phases
        self.drift_phase, self.gains = drift_phase, gains

    def add_block(self, out: np.ndarray, i0: int) -> None:
        t = (i0 + np.arange(out.shape[0])) / F_INT
        wave = np.zeros(out.shape[0])
        for k, (level, phase) in enumerate(zip(self.levels, self.phases, strict=True), start=1):
            wave += level * np.sin((2 * np.pi * k * self.f) * t + phase)
        # 0.1 Hz amplitude drift (±20 %); exact, since a held drift would add spurious lines.
        wave *= self.amp * (1.0 + 0.2 * np.sin(2 * np.pi * 0.1 * t + self.drift_phase))
        for ch in range(out.shape[1]):
            out[:, ch] += self.gains[ch] * wave


class Track:
    """One signal component, described, rendered on demand.

    Parameters
    ----------
    n_int : int
        Length in internal samples (``F_INT``).
    n_channels : int
    """

    def __init__(self, n_int: int, n_channels: int) -> None:
        self.n_int = int(n_int)
        self.n_channels = int(n_channels)
        self.layers: list = []
        self._waves = _WaveLayer()
        self.layers.append(self._waves)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_int, self.n_channels

    def add_spikes(self, times_s, units, amps, templates) -> int | None:
        """MUAP ``templates[units[s]] * amps[s]`` centred at ``times_s[s]`` (templates (n_units, n_ch, n_taps)).

        Returns the layer's index (for ``spike_alone``), or None when there are no spikes.
        """
        if not np.size(times_s):
            return None
        self.layers.append(_SpikeLayer(times_s, units, amps, templates))
        return len(self.layers) - 1

    def spike_alone(self, layer: int, k: int) -> tuple[Track, int, int]:
        """Spike ``k`` of spike layer ``layer`` as a track of its own, and the
        internal samples ``[start, stop)`` it reaches."""
        src = self.layers[layer]
        one = Track(self.n_int, self.n_channels)
        one.layers.append(src.alone(k))
        return (one, *src.span(k))

    def add_wave(self, start: int, wave: np.ndarray, gains: np.ndarray) -> None:
        """``wave`` (µV) from internal sample ``start``, times a gain per channel."""
        self._waves.add(start, wave, gains)

    def add_layer(self, layer) -> None:
        self.layers.append(layer)

    @property
    def empty(self) -> bool:
        return len(self.layers) == 1 and not self._waves.items

    def render(self, i0: int = 0, n: int | None = None) -> np.ndarray:
        """Samples ``[i0, i0 + n)`` at ``F_INT`` as float64, shape (n, n_channels), µV."""
        n = self.n_int - i0 if n is None else n
        out = np.zeros((n, self.n_channels))
        for layer in self.layers:
            layer.add_block(out, i0)
        return out


class LinearChain:
    """The device's linear part (analog filters, decimation, sampling) with state across blocks."""

    def __init__(self, dev: DeviceModel, n_channels: int, jitter: np.ndarray | None = None) -> None:
        self.dev = dev
        self.sos = analog_sos(dev)
        self.zi = [np.zeros((s.shape[0], 2, n_channels)) for s in self.sos]
        self.kernel = _decimation_kernel(dev)
        step = dev.step
        self.hist_len = math.ceil((len(self.kernel) - 1) / step) * step
        self.hist = np.zeros((self.hist_len, n_channels))
        self.last = np.zeros((1, n_channels))
        self.jitter = jitter if dev.jitter_frac > 0 else None

    def process(self, x: np.ndarray, i0: int) -> np.ndarray:
        """Device-rate samples for the internal block ``x`` starting at ``i0`` (a multiple of the step)."""
        step = self.dev.step
        y = x
        for k, sos in enumerate(self.sos):
            y, self.zi[k] = signal.sosfilt(sos, y, axis=0, zi=self.zi[k])
        n0, n_out = i0 // step, -(-y.shape[0] // step)
        if self.jitter is not None:
            ext = np.vstack([self.last, y])  # ext[p] = sample i0 - 1 + p
            pos = np.arange(n0, n0 + n_out) * step + self.jitter[n0: n0 + n_out] - (i0 - 1)
            pos = np.clip(pos, 0, ext.shape[0] - 1)
            j = np.floor(pos).astype(np.int64)
            j1 = np.minimum(j + 1, ext.shape[0] - 1)
            w = (pos - j)[:, None]
            self.last = y[-1:].copy()
            return ext[j] * (1.0 - w) + ext[j1] * w
        if len(self.kernel) == 1:
            return y[::step].copy()
        ext = np.vstack([self.hist, y])  # ext[p] = sample i0 - hist_len + p
        out = signal.upfirdn(self.kernel, ext, up=1, down=step, axis=0)
        m0 = self.hist_len // step
        if self.hist_len:
            self.hist = ext[-self.hist_len:].copy()
        return out[m0: m0 + n_out]


def render_span_through(dev: DeviceModel, track: Track, start: int, stop: int,
                        jitter: np.ndarray | None) -> tuple[int, np.ndarray]:
    """Render internal samples ``[start, stop)`` of ``track`` through a device
    chain starting at rest: exact when the track is zero before ``start``.

    Returns
    -------
    first : int
        Device-rate index of the first output sample.
    out : ndarray of float64, shape (n, n_channels), µV at the device rate.
    """
    step = dev.step
    i0 = max(0, (start // step) * step)
    i1 = min(track.n_int, -(-stop // step) * step)
    if i1 <= i0:
        return i0 // step, np.zeros((0, track.n_channels))
    return i0 // step, LinearChain(dev, track.n_channels, jitter).process(track.render(i0, i1 - i0), i0)


def render_through(dev: DeviceModel, track: Track, n_out: int, jitter: np.ndarray | None) -> np.ndarray:
    """Render ``track`` block by block through the device's linear chain.

    Returns
    -------
    ndarray of float32, shape (n_out, n_channels), µV at the device rate.
    """
    out = np.zeros((n_out, track.n_channels), dtype=np.float32)
    if track.empty:
        return out
    step = dev.step
    block = math.lcm(step, int(F_INT // 10)) * max(1, int(_BLOCK_S * F_INT) // math.lcm(step, int(F_INT // 10)))
    chain = LinearChain(dev, track.n_channels, jitter)
    for i0 in range(0, track.n_int, block):
        n = min(block, track.n_int - i0)
        y = chain.process(track.render(i0, n), i0)
        out[i0 // step: i0 // step + y.shape[0]] = y
    return out
