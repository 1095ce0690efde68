"""One function per CLI verb: parse nothing, decide nothing, wire the layers."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC
from importlib import resources
from pathlib import Path

from emgwatch.cli import EXIT_OK, EXIT_USAGE

DEMO_NAME = "demo_calf.edf"


def demo_path() -> Path:
    """The bundled demo recording (simulated calf cramp with twitches, EDF+)."""
    return Path(str(resources.files("emgwatch") / "data" / DEMO_NAME))


def _usage(msg: str) -> int:
    print(f"emgwatch: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


def _output_for(option: str | None, source: Path, n_files: int, suffix: str) -> Path | None:
    """Where to write one file's output: the path itself for one input, else
    ``<dir>/<stem><suffix>`` inside the directory the option names."""
    if option is None:
        return None
    out = Path(option)
    if n_files == 1 and not out.is_dir():
        return out
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: with several input files this option must name a directory")
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{source.stem}{suffix}"


def cmd_analyze(args: argparse.Namespace) -> int:
    from emgwatch.analysis import analyze_file
    from emgwatch.text import format_analysis

    files = [Path(f) for f in args.files]
    if args.demo:
        files.append(demo_path())
    if not files:
        return _usage("analyze needs at least one FILE, or --demo for the bundled recording")
    for f in files:
        if not f.exists():
            return _usage(f"{f}: no such file")
    for path in files:
        result = analyze_file(path, fs=args.fs, format=args.format, channels=args.channels, mains_hz=args.mains,
                              zero_phase=args.zero_phase)
        history_note = ""
        history = None
        if not args.no_history and not (args.demo and path == demo_path()):
            history, history_note = _record_history(result.source, result.summary, result.events)
        from classifier.knowledge import advise

        advice = advise(result.summary, history=history)
        if history is not None:
            history.close()
        print(format_analysis(result, advice, all_events=args.all_events))
        if history_note:
            print(history_note)
        events_out = _output_for(args.events, path, len(files), "_events.tsv")
        if events_out is not None:
            from recordings import write_events_tsv

            write_events_tsv(events_out, result.events)
            print(f"events table: {events_out}")
        json_out = _output_for(args.json, path, len(files), ".json")
        if json_out is not None:
            from emgwatch.text import analysis_to_json

            json_out.write_text(json.dumps(analysis_to_json(result, advice), indent=2) + "\n", encoding="utf-8")
            print(f"json: {json_out}")
        report_out = _output_for(args.report, path, len(files), ".png")
        if report_out is not None:
            from emgwatch.report import write_report

            write_report(result, advice, report_out)
            print(f"report: {report_out}")
        if len(files) > 1:
            print()
    return EXIT_OK


def _record_history(source, summary, events):
    from classifier.history import History

    try:
        history = History()
        history.add_session(source, summary, events)
    except OSError as err:  # a read-only home must not stop an analysis
        return None, f"(history not saved: {err})"
    return history, f"history: saved (see 'emgwatch history'; {history.path})"


def cmd_simulate(args: argparse.Namespace) -> int:
    from firmware_bridge import DEVICES, list_scenarios, simulate

    if args.list:
        print("scenarios: " + ", ".join(list_scenarios()))
        print("devices:   " + ", ".join(DEVICES))
        return EXIT_OK
    if not args.scenario:
        return _usage("simulate needs a SCENARIO (see 'emgwatch simulate --list')")
    if not args.output:
        return _usage("simulate needs -o FILE (.edf, .bdf or .csv)")
    if args.device not in DEVICES:
        return _usage(f"unknown device {args.device!r}; known: {', '.join(DEVICES)}")
    from recordings import write_events_tsv, write_recording

    rec = simulate(args.scenario, device=args.device, duration_s=args.duration, seed=args.seed)
    out = Path(args.output)
    # The truth goes into the file as annotations; the table is written once, below.
    write_recording(out, rec.data, rec.fs, rec.channels, events=rec.truth,
                    device=f"emgwatch-sim {args.device}", events_tsv=False)
    truth_path = out.with_name(out.stem + "_events.tsv")
    write_events_tsv(truth_path, rec.truth)
    counts: dict[str, int] = {}
    for ev in rec.truth:
        counts[ev.trial_type] = counts.get(ev.trial_type, 0) + 1
    print(f"wrote {out}: {rec.data.shape[0] / rec.fs:.1f} s, {len(rec.channels)} channels at {rec.fs:g} Hz "
          f"({args.device}, seed {rec.meta.get('seed')})")
    print(f"ground truth {truth_path}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from recordings import open_recording, supported_formats

    if args.formats:
        for name, desc in supported_formats():
            print(f"{name:<22} {desc}")
        return EXIT_OK
    if not args.files:
        return _usage("info needs at least one FILE (or --formats)")
    for i, f in enumerate(args.files):
        with open_recording(f, fs=args.fs, format=args.format, channels=args.channels) as reader:
            if i:
                print()
            print(reader.info.describe())
    return EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    from recordings import convert

    info = convert(args.input, args.output, fs=args.fs, format=args.format, channels=args.channels)
    print(f"wrote {args.output}: {len(info.channels)} channels at {info.fs:g} Hz from {info.format} file {args.input}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from classifier.evaluation import EVAL_SEEDS, format_by_scenario, run_evaluation
    from classifier.scoring import EvalResult
    from firmware_bridge import DEVICES, list_scenarios

    devices = args.devices or list(DEVICES)
    scenarios = args.scenarios or list_scenarios()
    for d in devices:
        if d not in DEVICES:
            return _usage(f"unknown device {d!r}; known: {', '.join(DEVICES)}")
    for s in scenarios:
        if s not in list_scenarios():
            return _usage(f"unknown scenario {s!r}; known: {', '.join(list_scenarios())}")
    if args.seeds < 1 or args.seeds > len(EVAL_SEEDS):
        return _usage(f"--seeds must be 1..{len(EVAL_SEEDS)}")
    runs: dict[str, dict[str, list[EvalResult]]] = {}

    def keep(run) -> None:
        runs.setdefault(run.device, {}).setdefault(run.scenario, []).append(run.result)

    results = run_evaluation(scenarios, devices, EVAL_SEEDS[: args.seeds], duration_s=args.duration, progress=keep)
    for device, result in results.items():
        print(f"=== {device} ===")
        print(result.format())
        print()
        print(format_by_scenario({s: EvalResult.merge(parts) for s, parts in runs[device].items()}))
        print()
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from classifier.history import History

    with History() as history:
        if args.delete_all:
            n = len(history.sessions())
            history.delete_all()
            print(f"deleted the whole history ({n} session(s)) in {history.path}")
            return EXIT_OK
        if args.delete is not None:
            history.delete(args.delete)
            print(f"deleted session {args.delete}")
            return EXIT_OK
        since = datetime.now(UTC) - timedelta(days=args.days)
        sessions = history.sessions(since=since)
        if not sessions:
            print(f"no analyses in the last {args.days} days ({history.path})")
        else:
            print(f"{'id':>4}  {'analysed':<16}  {'minutes':>7}  {'twitches':>8}  {'cramps':>6}  "
                  f"{'longest':>8}  source")
            for s in sessions:
                print(f"{s.id:>4}  {s.analysed_at:%Y-%m-%d %H:%M}  {s.duration_s / 60:7.1f}  "
                      f"{s.fasciculations:8d}  {s.cramps:6d}  {s.longest_cramp_s:7.0f}s  {s.source}")
            rec = history.recurrence()
            print(f"\nlast 14 days: cramps on {rec.cramp_days} day(s), twitches on {rec.twitch_days} day(s)")
        if args.plot:
            from emgwatch.report import plot_history

            plot_history(sessions, Path(args.plot))
            print(f"plot: {args.plot}")
    return EXIT_OK



def cmd_monitor(args: argparse.Namespace) -> int:
    from emgwatch.monitor import run_monitor
    from emgwatch.sources import open_any_source

    record_to = Path(args.record) if args.record else None
    if record_to is not None and record_to.suffix.lower() not in (".edf", ".bdf"):
        return _usage(f"{record_to}: --record writes .edf or .bdf (crash-safe EDF+/BDF+)")
    plain = args.plain or not sys.stdout.isatty()
    with open_any_source(args.source) as source:
        state = run_monitor(source, label=args.source, duration_s=args.duration, record_to=record_to,
                            plain=plain, mains_hz=args.mains)
    if not args.no_history and state.samples:
        from classifier import summarize_session

        summary = summarize_session(state.events, duration_s=state.signal_s, fs=state.fs,
                                    channels=state.channels, device=args.source, quality=state.quality)
        history, note = _record_history(args.source, summary, state.events)
        if history is not None:
            history.close()
        print(note)
    print(f"monitored {state.signal_s:.1f} s: " + ", ".join(f"{v} {k}" for k, v in state.counts.items())
          + (f"; {state.lost} samples lost" if state.lost else ""))
    if state.n_provisional:
        print(f"{state.n_provisional} provisional twitch calls shown within a fraction of a second; "
              f"{state.n_withdrawn} of them withdrawn when the final decision came")
    if record_to is not None:
        print(f"recorded to {record_to}")
    return EXIT_OK


def cmd_devices(args: argparse.Namespace) -> int:
    from firmware_bridge import list_scenarios, list_serial_ports

    ports = list_serial_ports()
    if not ports:
        print("no serial ports found (is the dongle plugged in, and may this user open it?)")
    else:
        print(f"{'port':<22} {'board':<10} {'use':<44} description")
        for p in ports:
            print(f"{p.port:<22} {p.board or '?':<10} {p.url or '-':<44} {p.description}")
    print("\nsimulated boards (no hardware): " + ", ".join(f"sim://{s}" for s in list_scenarios()))
    return EXIT_OK
