"""The ``emgwatch`` command line: one thin layer that wires the packages together.

Exit codes (house style): 0 success, also ``--help``; 2 the user must change
something (bad usage, an unreadable or unsupported file, an unknown source);
1 the run failed after it started. Errors are one line on stderr; a traceback
only with ``--debug``. Heavy imports stay inside the verbs that need them so
``emgwatch --help`` is fast.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence

from emgwatch import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_DESCRIPTION = """\
emgwatch watches surface EMG and tells, in plain words, whether a muscle just
twitched (a fasciculation: one motor unit firing once, 10-25 ms) or cramped
(sustained involuntary contraction of many motor units), or did something
else (a voluntary contraction, an artefact), with the common causes and
relief steps. It informs; it does not diagnose.
"""

_EPILOG = """\
examples:
  emgwatch analyze --demo                       analyse the bundled demo recording
  emgwatch analyze night.bdf --events night_events.tsv --report night.png
  emgwatch monitor sim://night_calf_cramp?speed=4
  emgwatch simulate night_calf_cramp --device cyton_250 --duration 120 -o night.edf
  emgwatch devices                              list boards on serial ports
  emgwatch info OpenBCI-RAW-2024.txt
  emgwatch convert OpenBCI-RAW-2024.txt night.bdf
  emgwatch evaluate --seeds 2
  emgwatch history

Run 'emgwatch VERB --help' for a verb's options and examples.
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps our line breaks in descriptions; shows a default only where one means something."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        # Wrap prose lines; keep example lines (indented) exactly as written.
        out = []
        for line in text.splitlines():
            if len(line) > width and not line.startswith(" "):
                out.append(textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent))
            else:
                out.append(indent + line)
        return "\n".join(out)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default not in (None, False, argparse.SUPPRESS) and "%(default)" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


def _mains(value: str) -> float | None | str:
    value = value.strip().lower()
    if value == "auto":
        return "auto"
    if value in ("none", "off", "0"):
        return None
    try:
        hz = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto, none, 50 or 60, got {value!r}") from None
    if hz not in (50.0, 60.0):
        raise argparse.ArgumentTypeError(f"mains must be 50 or 60 Hz (or auto/none), got {value}")
    return hz


def _positive_float(value: str) -> float:
    try:
        out = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not out > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return out


def _add_input_arguments(p: argparse.ArgumentParser) -> None:
    """Options every verb that reads a recording spells the same way."""
    p.add_argument("--fs", type=_positive_float, metavar="HZ",
                   help="sampling rate in Hz, for files that do not store one (plain text without a time column)")
    p.add_argument("--format", metavar="NAME",
                   help="force a reader instead of choosing by suffix and content (see 'emgwatch info --formats')")
    p.add_argument("--channels", metavar="A,B", type=lambda s: [c for c in s.split(",") if c],
                   help="only these channels (comma-separated names)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emgwatch", description=_DESCRIPTION, epilog=_EPILOG, formatter_class=_Formatter
    )
    parser.add_argument("--version", action="version", version=f"emgwatch {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")

    p = sub.add_parser(
        "analyze",
        help="analyse recordings: events, summary, advice",
        formatter_class=_Formatter,
        description="Analyse recorded files: find twitches (fasciculations), cramps, voluntary "
        "contractions and artefacts on every channel, summarise them and show what they may mean.",
        epilog="examples:\n"
        "  emgwatch analyze --demo\n"
        "  emgwatch analyze calf.edf --events calf_events.tsv --json calf.json --report calf.png\n"
        "  emgwatch analyze arduino.csv --fs 1000 --mains 50\n"
        "  emgwatch analyze a.bdf b.bdf --events out/      (one <name>_events.tsv per file)\n",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="recordings to analyse")
    p.add_argument("--demo", action="store_true",
                   help="analyse the bundled demo (a simulated calf cramp with twitches)")
    p.add_argument("--events", metavar="OUT.tsv", help="write the BIDS-style events table here")
    p.add_argument("--json", metavar="OUT.json", help="write the summary, events and quality as JSON here")
    p.add_argument("--report", metavar="OUT.png|OUT.html", help="write a plotted report here")
    p.add_argument("--mains", type=_mains, default="auto", metavar="HZ",
                   help="mains frequency to remove: auto (detect), 50, 60 or none")
    p.add_argument("--zero-phase", action="store_true",
                   help="filter forward and backward (no phase delay; reads the whole file into memory)")
    p.add_argument("--no-history", action="store_true", help="do not add this analysis to the local history")
    p.add_argument("--all-events", action="store_true", help="list every event, not only the first 25")
    _add_input_arguments(p)

    p = sub.add_parser(
        "monitor",
        help="watch a live source (a board, the simulator or a file replay)",
        formatter_class=_Formatter,
        description="Stream from a source, detect and classify events as they happen, optionally "
        "record to a crash-safe EDF+/BDF+ file. Sources are URLs: sim://SCENARIO?device=cyton_250"
        "&seed=1&speed=1 (the simulator), file://PATH?speed=1 (replay a recording), "
        "cyton:///dev/ttyUSB0 (OpenBCI Cyton dongle), serial:///dev/ttyACM0?format=ascii&fs=1000&channels=2 "
        "(an Arduino printing numbers), chords:///dev/ttyACM0, bitalino:///dev/rfcomm0, "
        "ganglion://NAME-or-ADDRESS and nus://NAME (Bluetooth LE). 'emgwatch devices' lists ports.",
        epilog="examples:\n"
        "  emgwatch monitor sim://night_calf_cramp?speed=4\n"
        "  emgwatch monitor sim://rest_frequent --record twitches.bdf --duration 120\n"
        "  emgwatch monitor file://night.bdf?speed=10 --plain\n"
        "  emgwatch monitor cyton:///dev/ttyUSB0 --record night.bdf\n",
    )
    p.add_argument("source", metavar="SOURCE", help="source URL (sim://..., file://...)")
    p.add_argument("--record", metavar="OUT.bdf", help="record the raw signal and the events (.edf/.bdf)")
    p.add_argument("--duration", type=_positive_float, metavar="S", help="stop after S seconds of signal")
    p.add_argument("--plain", action="store_true", help="print one line per event instead of the dashboard")
    p.add_argument("--mains", type=_mains, default="auto", metavar="HZ",
                   help="mains frequency to remove: auto (detect), 50, 60 or none")
    p.add_argument("--no-history", action="store_true", help="do not add this session to the local history")

    p = sub.add_parser(
        "devices",
        help="list serial ports and the board on each, with the source URL to use",
        formatter_class=_Formatter,
        description="List serial ports (USB dongles, Arduinos, Bluetooth SPP ports) with a guess of the "
        "board on each and the source URL to pass to 'emgwatch monitor'. The simulator is always there: "
        "sim://SCENARIO (see 'emgwatch simulate --list').",
        epilog="examples:\n  emgwatch devices\n  emgwatch monitor cyton:///dev/ttyUSB0\n",
    )

    p = sub.add_parser(
        "simulate",
        help="write a simulated recording with its ground truth",
        formatter_class=_Formatter,
        description="Simulate surface EMG from a physiological motor-unit model and write it as a "
        "recording (EDF+/BDF+/CSV by suffix) plus its ground-truth events table "
        "(<name>_events.tsv), in the same columns 'analyze --events' writes.",
        epilog="examples:\n"
        "  emgwatch simulate --list\n"
        "  emgwatch simulate night_calf_cramp --device cyton_250 --duration 300 -o night.bdf\n"
        "  emgwatch simulate rest_frequent --device ideal_2k --seed 7 -o twitches.edf\n",
    )
    p.add_argument("scenario", nargs="?", help="scenario name (see --list) or a scenario TOML file")
    p.add_argument("--list", action="store_true", help="list the bundled scenarios and devices")
    p.add_argument("--device", default="cyton_250", help="device model")
    p.add_argument("--duration", type=_positive_float, metavar="S", help="seconds (default: the scenario's)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's); same seed, same output")
    p.add_argument("-o", "--output", metavar="FILE", help="recording to write (.edf, .bdf or .csv)")

    p = sub.add_parser(
        "info",
        help="show what a file is: format, rate, channels, units",
        formatter_class=_Formatter,
        description="Print what emgwatch detects in a recording: format, sampling rate (nominal and "
        "measured), channels, units and scaling, duration, annotations and any warnings.",
        epilog="examples:\n  emgwatch info night.bdf\n  emgwatch info --formats\n",
    )
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--formats", action="store_true", help="list the supported formats")
    _add_input_arguments(p)

    p = sub.add_parser(
        "convert",
        help="convert a recording to EDF+/BDF+/CSV",
        formatter_class=_Formatter,
        description="Convert any readable recording to EDF+ (.edf), BDF+ (.bdf) or CSV (.csv).",
        epilog="examples:\n  emgwatch convert OpenBCI-RAW-2024.txt night.bdf\n"
        "  emgwatch convert emg.txt emg.edf --fs 1000\n",
    )
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    _add_input_arguments(p)

    p = sub.add_parser(
        "evaluate",
        help="score the detector on simulated scenarios with held-out seeds",
        formatter_class=_Formatter,
        description="Simulate a scenario suite with seeds never used for tuning, run the full "
        "offline pipeline and print event-level scores per device (precision, recall, F1, "
        "onset/offset errors, confusion matrix, false alarms per hour, rate error).",
        epilog="examples:\n  emgwatch evaluate\n  emgwatch evaluate --devices ideal_2k,cyton_250 --seeds 3\n",
    )
    p.add_argument("--devices", type=lambda s: [d for d in s.split(",") if d], metavar="A,B",
                   help="device models (default: all)")
    p.add_argument("--scenarios", type=lambda s: [d for d in s.split(",") if d], metavar="A,B",
                   help="scenarios (default: all)")
    p.add_argument("--seeds", type=int, default=2, help="held-out seeds per scenario and device")
    p.add_argument("--duration", type=_positive_float, metavar="S", help="seconds per recording")

    p = sub.add_parser(
        "history",
        help="list, plot or delete the local history of analyses",
        formatter_class=_Formatter,
        description="The local history (an SQLite file in your data directory, or in $EMGWATCH_HOME) "
        "keeps every analysed recording's counts so recurring cramps or twitching over days can be "
        "noticed. Nothing leaves your computer.",
        epilog="examples:\n  emgwatch history\n  emgwatch history --plot history.png\n"
        "  emgwatch history --delete 3\n  emgwatch history --delete-all\n",
    )
    p.add_argument("--plot", metavar="OUT.png", help="plot twitches and cramps per day")
    p.add_argument("--delete", type=int, metavar="ID", help="delete one session")
    p.add_argument("--delete-all", action="store_true", help="delete the whole history")
    p.add_argument("--days", type=int, default=30, help="how many days back to list")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return EXIT_OK
    from emgwatch import commands

    handler = getattr(commands, f"cmd_{args.verb}")
    _route_warnings(debug=args.debug)
    try:
        return handler(args)
    except BrokenPipeError:
        # Output piped into 'head' and the like: not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_OK if args.verb == "monitor" else 130
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        return _report_error(err, debug=args.debug)


def _route_warnings(*, debug: bool) -> None:
    """Show readers' warnings (malformed lines, truncated files) as one plain
    line each on stderr, once, instead of Python's file:line warning format."""
    import warnings

    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message)
        if text in seen:
            return
        seen.add(text)
        where = f" [{category.__name__} at {filename}:{lineno}]" if debug else ""
        print(f"emgwatch: warning: {text}{where}", file=sys.stderr)

    warnings.showwarning = show
    warnings.simplefilter("default" if not debug else "always")


def _report_error(err: Exception, *, debug: bool) -> int:
    from dsp import EmgwatchError, SourceError

    if debug:
        import traceback

        traceback.print_exc()
    if isinstance(err, SourceError):
        print(f"emgwatch: error: {err}", file=sys.stderr)
        return EXIT_FAILED
    if isinstance(err, (EmgwatchError, FileNotFoundError, IsADirectoryError, PermissionError)):
        print(f"emgwatch: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    print(f"emgwatch: internal error: {type(err).__name__}: {err} (run with --debug for details)", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
