"""Draw one PNG per shipped scenario: the signal as a device records it, truth events shaded.

Usage::

    python scripts/make_scenario_figures.py [NAME ...] [--device cyton_250] [--max-seconds 120] [--out docs/scenarios]

With no NAME every shipped scenario is drawn; ``cramp_mix`` was drawn whole with
``python scripts/make_scenario_figures.py cramp_mix --max-seconds 490``.

Each figure stacks the channels (band-passed 20 Hz..min(450, 0.45 fs) and mains
notched like the detector, and clipped to a few times the channel spread so one artefact does not
flatten the rest) and shades the ground truth: fasciculations red (doublets
magenta), cramps orange, voluntary contractions blue, artefacts grey (ECG beats as
green ticks along the top). The title gives scenario, device, seed and duration.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from scipy import signal  # noqa: E402

from firmware_bridge import DEVICES, list_scenarios, load_scenario, simulate  # noqa: E402

COLOURS = {
    "fasciculation": "#d62728",
    "doublet": "#e377c2",
    "cramp": "#ff7f0e",
    "voluntary": "#1f77b4",
    "ecg": "#2ca02c",
    "artifact": "#7f7f7f",
}


def _colour(event) -> str:
    if event.trial_type == "artifact":
        return COLOURS["ecg"] if event.subtype == "ecg" else COLOURS["artifact"]
    if event.subtype == "doublet":
        return COLOURS["doublet"]
    return COLOURS[event.trial_type]


def draw(name: str, device: str, max_seconds: float, out_dir: Path) -> Path:
    """Render one scenario and write ``out_dir/<name>.png``; returns the path."""
    duration = min(float(load_scenario(name)["scenario"]["duration_s"]), max_seconds)
    rec = simulate(name, device=device, duration_s=duration)
    dev = DEVICES[device]
    x = np.nan_to_num(rec.data.astype(np.float64))
    if dev.envelope_lp_hz <= 0:
        lo, hi = dev.band_hz
        x = signal.sosfiltfilt(signal.butter(4, [lo, hi], "bandpass", fs=rec.fs, output="sos"), x, axis=0)
        # Notch the mains harmonics where they alias to (science.md §1.6), as the detector will.
        for k in range(1, 6):
            f_alias = abs((k * rec.meta["mains_hz"] + rec.fs / 2) % rec.fs - rec.fs / 2)
            if 1.0 < f_alias < rec.fs / 2 - 1.0:
                b, a = signal.iirnotch(f_alias, 30.0, fs=rec.fs)
                x = signal.filtfilt(b, a, x, axis=0)
    spread = np.percentile(np.abs(x), 99, axis=0) + 1e-9
    step = 2.2 * np.median(spread)
    t = np.arange(x.shape[0]) / rec.fs
    fig, ax = plt.subplots(figsize=(12, 5.5), dpi=72)
    for ev in rec.truth:
        colour = _colour(ev)
        rows = [rec.channels.index(c) for c in ev.channels]
        if ev.subtype == "ecg":  # beats as short ticks above the first channel
            tp = ev.features.get("t_peak_s", ev.onset_s)
            ax.plot([tp, tp], [0.9 * step, 1.3 * step], color=colour, lw=0.8)
        elif ev.trial_type == "fasciculation":
            for r in rows[:3]:  # a tick over the channels that show it
                ax.plot([ev.features.get("t_peak_s", ev.onset_s)] * 2, [-(r + 0.45) * step, -(r - 0.45) * step],
                        color=colour, lw=1.2, alpha=0.8)
        else:
            ax.axvspan(ev.onset_s, max(ev.offset_s, ev.onset_s + 2 / rec.fs), color=colour, alpha=0.18, lw=0)
    for ch in range(x.shape[1]):
        y = np.clip(x[:, ch], -0.95 * step, 0.95 * step)
        ax.plot(t, y - ch * step, color="black", lw=0.35)
    ax.set_yticks([-k * step for k in range(x.shape[1])], rec.channels)
    ax.set_xlim(0, t[-1])
    ax.set_ylim(-(x.shape[1] - 0.3) * step, 1.4 * step)
    ax.set_xlabel("time (s)")
    ax.set_title(f"{name} on {device}: seed {rec.meta['seed']}, {duration:g} s, "
                 f"channel spacing {step:.0f} µV (band-passed, mains notched, clipped)", fontsize=10)
    handles = [Patch(color=COLOURS[k], label=k) for k in ("fasciculation", "doublet", "cramp", "voluntary", "ecg")]
    handles.append(Patch(color=COLOURS["artifact"], label="artifact (motion/pop/clipping/dropout)"))
    ax.legend(handles=handles, loc="upper right", fontsize=7, ncol=3, framealpha=0.9)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="scenarios to draw (default: all shipped)")
    parser.add_argument("--device", default="cyton_250", help="device model (default cyton_250)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="longest rendering in s (default 120)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "scenarios")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(list_scenarios()))
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; shipped: {', '.join(list_scenarios())}")
    for name in args.names or list_scenarios():
        path = draw(name, args.device, args.max_seconds, args.out)
        print(f"{path} ({path.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
