"""Ground truth after the device model (science.md §3.5).

Times move to the device clock (the decimation filter's group delay is added),
and each event is measured on its own component after the device:

* point events (fasciculation, ECG beat, pop): ``peak_uv`` = max |amplitude| on
  the best channel over the samples that arrived (not lost in a packet),
  ``features["snr"]`` = that peak / band-limited noise RMS,
  each discharge rendered through the device alone (twitches of different
  units share one component, and one firing within milliseconds of another
  must not be credited with the other's peak),
  ``t_peak_s`` = where that peak lands, channels = those with snr >= 3 (§3.2
  "appears on 1-3 neighbouring channels above 3 × noise");
* sustained events (cramp, voluntary): RMS over the plateau per channel,
  channels = those with RMS >= 2 × noise RMS;
* clipping and dropout come from the final samples (rails, NaN).

``features["detectable"]`` is 1.0 when the criterion above holds on at least
one channel (§3.5: peak >= 3 × noise RMS).
"""

from __future__ import annotations

import numpy as np

from dsp import Event
from firmware_bridge._artifacts import Pending
from firmware_bridge._devices import DeviceModel, apply_envelope
from firmware_bridge._track import Track, render_span_through

_POINT = {"fasciculation", "ecg", "pop"}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of True runs in a 1-D bool mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _event(p: Pending, channels: tuple[str, ...], onset: float, offset: float, peak: float,
           features: dict[str, float], evidence: str) -> Event:
    return Event(channels, onset, max(offset, onset), peak, p.trial_type, 1.0, evidence, p.subtype,
                 {k: float(v) for k, v in features.items()})


def _alone(p: Pending, source: Track, dev: DeviceModel, jitter: np.ndarray | None, i0: int, i1: int) -> np.ndarray:
    """Device-rate samples ``[i0, i1)`` of ``p``'s single discharge rendered alone, µV."""
    one, start, stop = source.spike_alone(*p.spike)
    first, y = render_span_through(dev, one, min(start, i0 * dev.step), max(stop, i1 * dev.step), jitter)
    return apply_envelope(dev, y)[i0 - first: i1 - first]


def build_truth(pending: list[Pending], tracks: dict[str, np.ndarray], data: np.ndarray, lost: np.ndarray,
                dev: DeviceModel, names: tuple[str, ...], noise_uv: np.ndarray, duration: float,
                sources: dict[str, Track] | None = None, jitter: np.ndarray | None = None) -> list[Event]:
    """Turn pending events into ``dsp.Event`` ground truth measured after the device.

    ``sources`` holds the descriptions of the spike components (``Track``) whose
    discharges (``Pending.spike``) are measured one by one, rendered with the
    same sample ``jitter`` as the recording.
    """
    sources = sources or {}
    fs = dev.fs
    n = data.shape[0]
    delay = dev.delay_s
    if dev.envelope_lp_hz > 0:
        tracks = {k: apply_envelope(dev, v) for k, v in tracks.items()}
    out: list[Event] = []
    for p in pending:
        onset = min(max(p.onset_s + delay, 0.0), duration)
        offset = min(max(p.offset_s + delay, onset), duration)
        i0 = int(np.floor(onset * fs))
        i1 = min(max(int(np.ceil(offset * fs)) + 1, i0 + 1), n)
        if i0 >= n:
            continue
        if p.spike is not None and p.track in sources:
            seg = np.abs(_alone(p, sources[p.track], dev, jitter, i0, i1))
        else:
            seg = np.abs(tracks[p.track][i0:i1])
        feats = dict(p.features)
        if p.trial_type == "fasciculation" or p.subtype in _POINT:
            # Only what arrived: a twitch whose samples were lost in a radio
            # packet is not in the recording for any detector to find.
            seg = np.where(lost[i0:i1, None], 0.0, seg)
            peaks = seg.max(axis=0)
            snr = peaks / noise_uv
            cand = np.array(p.channels if p.channels else range(len(names)), dtype=int)
            best = int(cand[np.argmax(snr[cand])])
            above = [int(c) for c in cand[np.argsort(-snr[cand], kind="stable")] if snr[c] >= 3.0]
            chans = above or [best]
            t_peak = (i0 + int(np.argmax(seg[:, best]))) / fs
            feats.update(t_peak_s=t_peak, snr=snr[best], snr_db=20 * np.log10(max(snr[best], 1e-9)),
                         detectable=float(snr[best] >= 3.0), n_channels_above=float(len(above)))
            peak = float(peaks[best])
            if p.subtype == "pop":
                chans = [best]
            evidence = (f"simulated {p.subtype or p.trial_type}: peak {peak:.1f} µV on {names[best]}, "
                        f"snr {snr[best]:.1f}")
        elif p.trial_type in ("cramp", "voluntary"):
            a = int(feats.get("plateau_start_s", p.onset_s) * fs)
            b = max(int(feats.get("plateau_end_s", p.offset_s) * fs), a + 1)
            plateau = tracks[p.track][a:min(b, n)]
            rms = np.sqrt(np.mean(plateau**2, axis=0)) if plateau.size else np.zeros(len(names))
            ratio = rms / noise_uv
            order = np.argsort(-ratio, kind="stable")
            above = [int(c) for c in order if ratio[c] >= 2.0]
            chans = above or [int(order[0])]
            best = chans[0]
            peak = float(seg[:, best].max())
            feats.update(rms_uv=rms[best], snr=ratio[best], detectable=float(ratio[best] >= 2.0),
                         n_channels_above=float(len(above)))
            evidence = (f"simulated {p.trial_type}: plateau RMS {rms[best]:.1f} µV on {names[best]} "
                        f"({len(above)} ch > 2x noise)")
        else:  # motion
            cand = np.array(p.channels, dtype=int)
            peaks = seg.max(axis=0)
            ratio = peaks / noise_uv
            above = [int(c) for c in cand[np.argsort(-ratio[cand], kind="stable")] if ratio[c] >= 2.0]
            best = int(cand[np.argmax(ratio[cand])])
            chans = above or [best]
            peak = float(peaks[best])
            feats.update(snr=ratio[best], detectable=float(ratio[best] >= 3.0))
            evidence = f"simulated motion on {len(cand)} channel(s), peak {peak:.0f} µV"
        out.append(_event(p, tuple(names[c] for c in chans), onset, offset, peak, feats, evidence))
    out += _clipping_events(data, dev, names)
    out += [
        Event(names, a / fs, b / fs, 0.0, "artifact", 1.0, f"simulated packet loss: {b - a} sample(s)", "dropout",
              {"n_samples": float(b - a)})
        for a, b in _runs(lost)
    ]
    out.sort(key=lambda e: (e.onset_s, e.offset_s))
    return out


def _clipping_events(data: np.ndarray, dev: DeviceModel, names: tuple[str, ...]) -> list[Event]:
    """Runs of >= 2 samples at a rail, merged across channels."""
    if not (np.isfinite(dev.rail_hi_uv) and np.isfinite(dev.rail_lo_uv)):
        return []
    tol = max(dev.uv_per_count, 1e-3)
    with np.errstate(invalid="ignore"):
        at_rail = (data >= dev.rail_hi_uv - tol) | (data <= dev.rail_lo_uv + tol)
    if dev.rail_lo_uv == 0.0:  # envelope output: the lower rail is its resting level, not clipping
        with np.errstate(invalid="ignore"):
            at_rail = data >= dev.rail_hi_uv - tol
    per_ch = np.zeros_like(at_rail)
    for ch in range(at_rail.shape[1]):
        for a, b in _runs(at_rail[:, ch]):
            if b - a >= 2:
                per_ch[a:b, ch] = True
    events = []
    for a, b in _runs(per_ch.any(axis=1)):
        chans = tuple(names[c] for c in np.flatnonzero(per_ch[a:b].any(axis=0)))
        events.append(Event(chans, a / dev.fs, b / dev.fs, float(np.nanmax(np.abs(data[a:b]))), "artifact", 1.0,
                            f"simulated clipping at the rail for {b - a} sample(s)", "clipping",
                            {"n_samples": float(b - a)}))
    return events
