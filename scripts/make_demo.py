"""Regenerate the bundled demo recording ``emgwatch/data/demo_calf.edf``.

The demo is the simulator's night-time calf cramp scenario on an OpenBCI Cyton
model (250 Hz, 8 channels), 90 s long, with a fixed seed, so the same command
always writes the same file. Its ground truth goes beside it as
``demo_calf_events.tsv``, so a user can compare what ``emgwatch analyze --demo``
finds with what was simulated.

Run: ``python scripts/make_demo.py``
"""

from __future__ import annotations

from pathlib import Path

from firmware_bridge import simulate
from recordings import write_events_tsv, write_recording

SCENARIO = "night_calf_cramp"
DEVICE = "cyton_250"
DURATION_S = 90.0
SEED = 303


def main() -> None:
    out_dir = Path(__file__).resolve().parents[1] / "emgwatch" / "data"
    out_dir.mkdir(parents=True, exist_ok=True)
    rec = simulate(SCENARIO, device=DEVICE, duration_s=DURATION_S, seed=SEED)
    path = out_dir / "demo_calf.edf"
    write_recording(path, rec.data, rec.fs, rec.channels, events=rec.truth,
                    device=f"emgwatch-sim {DEVICE} {SCENARIO} seed {SEED}", events_tsv=False)
    write_events_tsv(out_dir / "demo_calf_events.tsv", rec.truth)
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB) and its ground truth")


if __name__ == "__main__":
    main()
