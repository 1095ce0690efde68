"""``simulate()``: render a scenario through a device model, with ground truth.

Generate high, then degrade (science.md §3.1): every component (electrode noise,
fasciculations, cramps, voluntary activity, background units, ECG, other
artefacts) is described as a ``Track``, rendered at ``F_INT`` in ~20 s blocks
and passed through the device's linear chain on its own (state carried across
blocks); the sum then goes through quantisation, rails and packet loss. Since
the chain is linear up to that point, each event's amplitude after the device
is read from its own component, and ``features["snr"]`` is that peak over the
band-limited noise RMS (20 Hz to min(450, 0.45·fs), the detector's band).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal

from dsp import Chunk, Event
from firmware_bridge._artifacts import (
    Pending,
    add_ecg,
    add_mains,
    add_motion,
    add_noise,
    add_pops,
    leadoff_episodes,
)
from firmware_bridge._devices import (
    DEVICES,
    F_INT,
    DeviceModel,
    apply_envelope,
    apply_nonlinear,
    quantisation_rms,
    sample_jitter,
)
from firmware_bridge._firing import DT_CTRL
from firmware_bridge._muap import make_muscle
from firmware_bridge._physiology import (
    plan_cramps,
    render_background,
    render_cramps,
    render_fasciculations,
    render_voluntary,
)
from firmware_bridge._scenario import NOISE_BY_ELECTRODE, draw, load_scenario
from firmware_bridge._track import Track, render_through

_TRACKS = ("noise", "fasciculation", "cramp", "voluntary", "background", "ecg", "artifact")


@dataclass(frozen=True, repr=False)
class SimRecording:
    """A simulated recording with its ground truth.

    Parameters
    ----------
    data : ndarray of float32, shape (n_samples, n_channels), µV
        NaN marks samples lost in radio packets.
    fs : float
        Device sampling rate, Hz.
    channels : tuple of str
    truth : list of dsp.Event
        Ground truth, sorted by onset (confidence 1.0).
    meta : dict
        ``scenario``, ``device``, ``seed``, ``duration_s``, ``fs``, ``mains_hz``,
        ``noise_uv`` (per channel, band RMS after the device), ``f_int``, ...
    """

    data: np.ndarray
    fs: float
    channels: tuple[str, ...]
    truth: list[Event] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])

    def __repr__(self) -> str:
        return (f"<SimRecording {self.meta.get('scenario', '?')} on {self.meta.get('device', '?')}: "
                f"{self.duration_s:g} s, {len(self.channels)} ch at {self.fs:g} Hz, {len(self.truth)} truth events>")

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def truth_mask(self, trial_type: str, subtype: str | None = None) -> np.ndarray:
        """Per-sample mask of one truth class (science.md §3.5 multi-label mask; classes overlap).

        Parameters
        ----------
        trial_type : str
            One of ``dsp.EVENT_CLASSES``.
        subtype : str, optional
            Only events with this subtype (e.g. ``"ecg"``); ``None`` = any.

        Returns
        -------
        ndarray of bool, shape (n_samples,)
        """
        mask = np.zeros(self.n_samples, dtype=bool)
        for e in self.truth:
            if e.trial_type == trial_type and (subtype is None or e.subtype == subtype):
                a = int(np.floor(e.onset_s * self.fs))
                b = max(int(np.ceil(e.offset_s * self.fs)), a + 1)
                mask[a:b] = True
        return mask

    def chunks(self, n_samples: int) -> Iterator[Chunk]:
        """Yield consecutive ``dsp.Chunk`` blocks of ``n_samples`` (the last may be shorter).

        Lost samples stay in place as NaN rows, so ``t0`` stays exact and ``lost`` is 0.
        """
        if int(n_samples) < 1:
            raise ValueError(f"chunks: n_samples must be >= 1, got {n_samples!r}")
        n = int(n_samples)
        for start in range(0, self.n_samples, n):
            yield Chunk(self.data[start: start + n].copy(), self.fs, start / self.fs, self.channels)


def _electrodes(sites: list, n_ch: int, row_mm: float) -> np.ndarray:
    base = np.asarray(sites, dtype=float).reshape(-1, 2)
    rows = [base + np.array([row_mm * k, 0.0]) for k in range(-(-n_ch // len(base)))]
    return np.vstack(rows)[:n_ch]


def _band_rms(dev: DeviceModel, x: np.ndarray) -> np.ndarray:
    lo, hi = dev.band_hz
    sos = signal.butter(4, [lo, hi], "bandpass", fs=dev.fs, output="sos")
    y = signal.sosfiltfilt(sos, x, axis=0)
    skip = min(int(0.5 * dev.fs), y.shape[0] // 4)  # filter edges
    return np.sqrt(np.mean(y[skip: y.shape[0] - skip] ** 2, axis=0))


def simulate(scenario: str | os.PathLike, device: str = "cyton_250", duration_s: float | None = None,
             seed: int | None = None) -> SimRecording:
    """Render a scenario as a device would record it, with ground truth.

    Parameters
    ----------
    scenario : str or path-like
        A shipped scenario name (``list_scenarios()``) or a ``.toml`` path.
    device : str
        A key of ``DEVICES``.
    duration_s : float, optional
        Recording length in s (default: the scenario's).
    seed : int, optional
        Random seed (default: the scenario's). The same seed gives bit-identical output.

    Returns
    -------
    SimRecording

    Raises
    ------
    ValueError
        Unknown scenario or device, bad duration, or an invalid scenario file.

    Examples
    --------
    >>> rec = simulate("rest_benign", device="cyton_250", duration_s=10, seed=1)
    >>> rec.data.shape, rec.fs
    ((2500, 8), 250.0)
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected one of {sorted(DEVICES)}")
    dev = DEVICES[device]
    cfg = load_scenario(scenario)
    sc = cfg["scenario"]
    duration = float(sc["duration_s"] if duration_s is None else duration_s)
    if not (np.isfinite(duration) and 1.0 <= duration <= 24 * 3600):
        raise ValueError(f"duration_s must be between 1 s and 24 h, got {duration_s!r}")
    seed = int(sc["seed"] if seed is None else seed)
    n_out = int(round(duration * dev.fs))
    n_int = n_out * dev.step
    n_ctrl = int(np.ceil(n_int / F_INT / DT_CTRL))
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    r_anat, r_fp, r_cramp, r_vol, r_noise, r_art, r_dev, r_bg, r_ecg = streams

    el = cfg["electrodes"]
    electrodes = _electrodes(el["sites"], dev.n_channels, float(el["second_row_mm"]))
    n_ch = electrodes.shape[0]
    channels = tuple(f"ch{k + 1}" for k in range(n_ch))
    muscles = [make_muscle(m["name"], m["x_mm"], m["y_mm"], m["depth_mm"], int(m["n_units"]), r_anat)
               for m in cfg["muscle"]]

    tracks = {name: Track(n_int, n_ch) for name in _TRACKS}
    pending: list[Pending] = []

    noise_range = sc["noise_uv"] if sc["noise_uv"] is not None else NOISE_BY_ELECTRODE[sc["electrode"]]
    add_noise(tracks["noise"], np.array([draw(noise_range, r_noise, "noise_uv") for _ in range(n_ch)]), r_noise)
    plans = plan_cramps(cfg["cramp"], muscles, duration, r_cramp, cfg["_path"])
    pending += render_fasciculations(cfg["fasciculation"], muscles, electrodes, n_ctrl, plans, r_fp,
                                     tracks["fasciculation"])
    pending += render_cramps(plans, muscles, electrodes, n_ctrl, r_cramp, tracks["cramp"], tracks["background"])
    vol_events, motion_times = render_voluntary(cfg["voluntary"], muscles, electrodes, n_ctrl, r_vol,
                                                tracks["voluntary"])
    pending += vol_events
    render_background(int((cfg["background"] or {}).get("continuous_units", 0)), muscles, electrodes, n_ctrl,
                      r_bg, tracks["background"])
    if cfg["ecg"] is not None:
        e = cfg["ecg"]
        pending += add_ecg(tracks["ecg"], draw(e["hr_bpm"], r_ecg), draw(e["sdnn_ms"], r_ecg),
                           draw(e["amp_uv"], r_ecg, "amp_uv"), r_ecg)
    mains_uv = draw(sc["mains_uv"], r_art, "mains_uv")
    add_mains(tracks["artifact"], float(sc["mains_hz"]), mains_uv, r_art)
    if cfg["motion"] is not None:
        mo = cfg["motion"]
        k = r_art.poisson(float(mo["rate_per_min"]) * duration / 60.0)
        motion_times = sorted(list(motion_times) + list(r_art.uniform(0, duration, k)))
        amp = tuple(float(v) for v in mo["amp_uv"]) if isinstance(mo["amp_uv"], list) else (mo["amp_uv"],) * 2
    else:
        amp = (50.0, 5000.0)
    pending += add_motion(tracks["artifact"], motion_times, amp, r_art)
    if cfg["pops"] is not None:
        pending += add_pops(tracks["artifact"], float(cfg["pops"]["rate_per_hour"]), r_art)

    # Render each component block by block through the device's linear chain (bounded memory).
    jitter = sample_jitter(dev, n_out, r_dev)
    out_tracks = {name: render_through(dev, tracks[name], n_out, jitter) for name in _TRACKS}
    sources = {"fasciculation": tracks["fasciculation"]}  # descriptions only: twitches are measured one by one
    del tracks

    total = np.zeros((n_out, n_ch))
    for name in _TRACKS:
        total += out_tracks[name]  # float32 components, summed in float64
    total = apply_envelope(dev, total)
    if cfg["leadoff"] is not None and np.isfinite(dev.rail_hi_uv):
        for ch, t0, t1 in leadoff_episodes(duration, float(cfg["leadoff"]["rate_per_hour"]), n_ch, r_dev):
            total[int(t0 * dev.fs): int(t1 * dev.fs), ch] = dev.rail_hi_uv
    data, lost = apply_nonlinear(dev, total, r_dev)

    noise_track = apply_envelope(dev, out_tracks["noise"])
    noise_uv = (_band_rms(dev, noise_track) if dev.envelope_lp_hz <= 0 else noise_track.std(axis=0))
    noise_uv = np.sqrt(noise_uv**2 + quantisation_rms(dev) ** 2)

    from firmware_bridge._truth import build_truth

    truth = build_truth(pending, out_tracks, data, lost, dev, channels, noise_uv, duration, sources, jitter)
    meta = {
        "scenario": sc["name"], "scenario_file": cfg["_path"], "description": sc["description"],
        "device": dev.name, "seed": seed, "duration_s": n_out / dev.fs, "fs": dev.fs, "device_fs": dev.fs,
        "f_int": F_INT, "mains_hz": float(sc["mains_hz"]), "mains_uv": mains_uv, "electrode": sc["electrode"],
        "noise_uv": [float(v) for v in noise_uv], "device_delay_s": dev.delay_s,
        "electrode_sites_mm": electrodes.tolist(), "muscles": [m.name for m in muscles],
        "lost_samples": int(lost.sum()), "n_events": len(truth),
    }
    return SimRecording(data, dev.fs, channels, truth, meta)
