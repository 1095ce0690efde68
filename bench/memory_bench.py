"""Peak memory and throughput of streaming a long recording.

Writes a synthetic N-hour, C-channel recording at FS Hz as BDF+ (or EDF+)
with ``recordings.RecordingWriter``, then, in a fresh process so the writer's
memory does not count, streams it back with ``open_recording(...).chunks()``
through a running RMS and through ``dsp.Pipeline`` (when it can be imported)
and prints the peak resident memory (``ru_maxrss``) and the throughput.
The issue's target: 24 h, 8 channels, 1 kHz in under 300 MB.

Usage::

    python bench/memory_bench.py                       # 24 h, 8 ch, 1 kHz BDF+
    python bench/memory_bench.py --hours 1 --format edf
    python bench/memory_bench.py --pipeline-hours 24   # run the detector over all of it (slow)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_file(path: Path, hours: float, n_ch: int, fs: float) -> float:
    from recordings import RecordingWriter

    names = [f"ch{i + 1}" for i in range(n_ch)]
    total = int(hours * 3600 * fs)
    block = int(60 * fs)  # one minute per write keeps the writer's memory small too
    rng = np.random.default_rng(7)
    t = time.perf_counter()
    with RecordingWriter(path, fs, names, device="memory bench", sync=False) as w:
        done = 0
        while done < total:
            n = min(block, total - done)
            x = rng.standard_normal((n, n_ch), dtype=np.float32) * 20.0
            x += 50.0 * np.sin(2 * np.pi * 50.0 * (done + np.arange(n, dtype=np.float32)) / fs)[:, None]
            w.write(x)
            done += n
    return time.perf_counter() - t


def read_file(path: Path, pipeline_hours: float, chunk: int) -> dict:
    """Runs in the child process: stream the file and measure."""
    import warnings

    from recordings import open_recording

    warnings.simplefilter("ignore")
    try:
        from dsp import Pipeline
    except ImportError:
        Pipeline = None  # noqa: N806 - the class or nothing
    t = time.perf_counter()
    n = 0
    sumsq = None
    with open_recording(path) as reader:
        info = reader.info
        for c in reader.chunks(chunk):
            sq = np.square(c.data, dtype=np.float64).sum(axis=0)
            sumsq = sq if sumsq is None else sumsq + sq
            n += c.n_samples
    read_s = time.perf_counter() - t
    out = {
        "samples": n,
        "channels": len(info.channels),
        "fs": info.fs,
        "read_s": read_s,
        "rms_uv": float(np.sqrt(sumsq / n).mean()),
        "rss_after_read_mb": _rss_mb(),
    }
    if Pipeline is not None and pipeline_hours > 0:
        limit = int(pipeline_hours * 3600 * info.fs)
        pipe = Pipeline(info.fs, info.channels, mains_hz=50.0)
        t = time.perf_counter()
        done = bursts = 0
        with open_recording(path) as reader:
            for c in reader.chunks(chunk):
                if done >= limit:
                    break
                bursts += len(pipe.process(c))
                done += c.n_samples
            bursts += len(pipe.flush())
        out.update(pipeline_samples=done, pipeline_s=time.perf_counter() - t, pipeline_bursts=bursts)
    out["peak_rss_mb"] = _rss_mb()
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--hours", type=float, default=24.0, help="recording length, h (default 24)")
    ap.add_argument("--channels", type=int, default=8, help="channels (default 8)")
    ap.add_argument("--fs", type=float, default=1000.0, help="sampling rate, Hz (default 1000)")
    ap.add_argument("--format", choices=("bdf", "edf"), default="bdf", help="file format (default bdf)")
    ap.add_argument("--chunk", type=int, default=65536, help="samples per chunk (default 65536)")
    ap.add_argument(
        "--pipeline-hours", type=float, default=24.0, help="hours to run through dsp.Pipeline (default 24; 0 skips it)"
    )
    ap.add_argument("--keep", type=Path, help="write the file here and keep it (default: a temporary file)")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(read_file(args.child, args.pipeline_hours, args.chunk)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / f"bench.{args.format}"
        write_s = write_file(path, args.hours, args.channels, args.fs)
        size_mb = path.stat().st_size / 1e6
        print(
            f"wrote {path.name}: {args.hours:g} h x {args.channels} ch at {args.fs:g} Hz, "
            f"{size_mb:.0f} MB in {write_s:.1f} s ({size_mb / write_s:.0f} MB/s), writer peak RSS {_rss_mb():.0f} MB"
        )
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(path),
                "--chunk",
                str(args.chunk),
                "--pipeline-hours",
                str(args.pipeline_hours),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
    rate = r["samples"] / r["read_s"]
    print(
        f"read + running RMS: {r['samples']} samples x {r['channels']} ch in {r['read_s']:.1f} s "
        f"({rate / 1e6:.1f} M samples/s per channel = {rate / args.fs:.0f}x real time); "
        f"mean RMS {r['rms_uv']:.1f} µV"
    )
    if "pipeline_s" in r:
        speed = r["pipeline_samples"] / args.fs / r["pipeline_s"]
        print(
            f"dsp.Pipeline: {r['pipeline_samples'] / args.fs / 3600:.2f} h in {r['pipeline_s']:.1f} s "
            f"({speed:.0f}x real time), {r['pipeline_bursts']} burst(s)"
        )
    print(
        f"peak RSS of the reading process: after read {r['rss_after_read_mb']:.0f} MB, "
        f"overall {r['peak_rss_mb']:.0f} MB (target < 300 MB)"
    )
    return 0 if r["peak_rss_mb"] < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
