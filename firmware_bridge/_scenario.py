"""Declarative scenarios: small TOML files shipped in ``firmware_bridge/scenarios``.

A scenario names the anatomy (muscles as rectangles under the skin, electrode
sites), the physiology (fasciculations, cramps, voluntary sets, background
units) and the artefacts. A value may be a number or a ``[low, high]`` range,
drawn per recording from the seed (log-uniform for amplitudes and rates, see
``LOG_KEYS``). Event times are given either in seconds (``start_s``,
``duration_s``) or as fractions of the recording (``start_frac``,
``duration_frac``), so shorter test renderings keep their events. Those may be
ranges too, drawn per seed: starts uniformly, durations log-uniformly (so
``duration_s = [3.0, 60.0]`` has its median near 13 s, as science.md §3.2 draws
cramp lengths). Cramps on one muscle must not be able to overlap whatever the
draw (``check_cramp_overlap``): a scenario that wants several gives them
disjoint windows.

Unknown tables or keys fail with the file and key named, so a typo never
silently falls back to a default.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

#: Every table and key a scenario may use, with its default (``None`` = required).
SCHEMA: dict[str, dict[str, Any]] = {
    "scenario": {
        "name": None, "description": "", "duration_s": None, "seed": None, "mains_hz": 50.0,
        "mains_uv": [2.0, 20.0], "electrode": "gel", "noise_uv": None,
    },
    "muscle": {"name": None, "x_mm": None, "y_mm": None, "depth_mm": [3.0, 20.0], "n_units": 120},
    "electrodes": {"sites": None, "second_row_mm": 30.0},
    "fasciculation": {
        "muscles": [], "rate_per_min": 2.0, "rate_sigma": 0.0, "units_per_muscle": 3, "doublet_p": 0.04,
        "polyphasic_p": 0.15, "amp_uv": [10.0, 500.0], "lam_ms": [2.0, 5.0], "drift": 0.0,
    },
    "cramp": {
        "muscle": None, "start_s": None, "start_frac": None, "duration_s": None, "duration_frac": None,
        "ramp_s": [0.3, 5.0], "plateau_mvc": [0.1, 0.8], "fade_s": [2.0, 30.0], "wobble_hz": [1.0, 2.0],
        "wobble_depth": [0.1, 0.3], "region_mm": 0.0, "drift_mm_s": 0.0, "prodrome_s": 0.0,
        "prodrome_fp_factor": [2.0, 5.0], "prodrome_mvc": [0.01, 0.03], "stretch_at": -1.0,
        "stretch_s": [2.0, 10.0], "stretch_gain": [0.2, 0.5], "cv": 0.36, "doublet_p": 0.04,
        "lam_scale": [0.8, 0.95], "fast_units": 0.0,
    },
    "voluntary": {
        "muscle": None, "antagonist": "", "start_s": None, "start_frac": None, "reps": 1, "period_s": 2.0,
        "rise_s": [0.2, 2.0], "plateau_s": [0.5, 30.0], "fall_s": [0.2, 2.0], "level_mvc": [0.05, 1.0],
        "cocontraction": [0.05, 0.2], "cv": [0.1, 0.2], "motion_p": 0.5,
    },
    "background": {"continuous_units": 0},
    "ecg": {"hr_bpm": [50.0, 110.0], "sdnn_ms": [20.0, 80.0], "amp_uv": [5.0, 500.0]},
    "motion": {"rate_per_min": 0.0, "amp_uv": [50.0, 5000.0]},
    "pops": {"rate_per_hour": 0.0},
    "leadoff": {"rate_per_hour": 0.0},
}

#: Tables that may repeat (``[[cramp]]``).
LIST_TABLES = ("muscle", "cramp", "voluntary")
#: Keys whose ranges are drawn log-uniformly.
LOG_KEYS = frozenset({"mains_uv", "noise_uv", "amp_uv", "rate_per_min", "fade_s", "duration_s",
                      "duration_frac"})
#: Event-window keys: (lowest allowed value, highest allowed value or None).
WINDOW_KEYS = {"start_s": (0.0, None), "start_frac": (0.0, 1.0), "duration_s": (0.0, None),
               "duration_frac": (0.0, 1.0)}
#: Shortest cramp, s (science.md §3.2: total duration 3-600 s); shorter ones are not cramps.
MIN_CRAMP_S = 3.0
#: Noise floor by electrode kind, µV RMS in 20-450 Hz (science.md §1.5, §3.3: gel 1-5, dry 5-20).
NOISE_BY_ELECTRODE = {"gel": [1.5, 4.0], "dry": [6.0, 15.0]}


def _scenario_dir() -> Path:
    return Path(str(resources.files("firmware_bridge") / "scenarios"))


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package, sorted.

    Examples
    --------
    >>> "night_calf_cramp" in list_scenarios()
    True
    """
    return sorted(p.stem for p in _scenario_dir().glob("*.toml"))


def _check_table(values: dict[str, Any], table: str, where: str) -> dict[str, Any]:
    schema = SCHEMA[table]
    unknown = sorted(set(values) - set(schema))
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {unknown} in [{table}]; allowed keys are {sorted(schema)}"
        )
    out = {}
    for key, default in schema.items():
        if key in values:
            out[key] = values[key]
        elif default is None and key not in ("start_s", "start_frac", "duration_s", "duration_frac", "noise_uv"):
            raise ValueError(f"{where}: [{table}] needs the key {key!r}")
        else:
            out[key] = default
    return out


def load_scenario(scenario: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a scenario by name or path.

    Parameters
    ----------
    scenario : str or path-like
        A shipped scenario name (see ``list_scenarios``) or a path to a ``.toml`` file.

    Returns
    -------
    dict
        Tables as dicts (repeating tables as lists), every key present, plus
        ``"_path"`` (the file read).

    Raises
    ------
    ValueError
        Unknown scenario name, unknown table or key, or a TOML syntax error (with the file named).
    """
    path = Path(scenario)
    if not (path.suffix == ".toml" and path.exists()):
        path = _scenario_dir() / f"{scenario}.toml"
        if not path.exists():
            raise ValueError(
                f"unknown scenario {str(scenario)!r}: expected one of {list_scenarios()} or a path to a .toml file"
            )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(raw) - set(SCHEMA))
    if unknown:
        raise ValueError(f"{path}: unknown table(s) {unknown}; allowed tables are {sorted(SCHEMA)}")
    cfg: dict[str, Any] = {"_path": str(path)}
    for table in SCHEMA:
        value = raw.get(table)
        if table in LIST_TABLES:
            items = value or []
            if isinstance(items, dict):
                items = [items]
            cfg[table] = [_check_windows(_check_table(v, table, f"{path} [[{table}]] #{k + 1}"), table,
                                         f"{path} [[{table}]] #{k + 1}") for k, v in enumerate(items)]
        elif value is None and table not in ("scenario", "electrodes"):
            cfg[table] = None
        else:
            cfg[table] = _check_table(value or {}, table, str(path))
    if not cfg["muscle"]:
        raise ValueError(f"{path}: at least one [[muscle]] is required")
    names = [m["name"] for m in cfg["muscle"]]
    for table in ("cramp", "voluntary"):
        for item in cfg[table]:
            for key in ("muscle", "antagonist"):
                name = item.get(key, "")
                if name and name not in names:
                    raise ValueError(f"{path}: [[{table}]] {key} {name!r} is not a muscle; muscles are {names}")
    if cfg["scenario"]["electrode"] not in NOISE_BY_ELECTRODE:
        raise ValueError(f"{path}: [scenario] electrode must be one of {sorted(NOISE_BY_ELECTRODE)}")
    check_cramp_overlap(cfg["cramp"], float(cfg["scenario"]["duration_s"]), str(path))
    return cfg


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))


def _check_windows(item: dict[str, Any], table: str, where: str) -> dict[str, Any]:
    """Validate the start/duration keys of one event table (numbers or ``[low, high]`` ranges)."""
    for a, b in (("start_s", "start_frac"), ("duration_s", "duration_frac")):
        if item.get(a) is not None and item.get(b) is not None:
            raise ValueError(f"{where}: give either {a!r} or {b!r}, not both")
    for key, (low, high) in WINDOW_KEYS.items():
        value = item.get(key)
        if value is None:
            continue
        if key == "duration_s" and table == "cramp":
            low = MIN_CRAMP_S
        if isinstance(value, list):
            if len(value) != 2 or not all(_is_number(v) for v in value):
                raise ValueError(f"{where}: {key} must be a number or [low, high] of numbers, got {value!r}")
            if value[0] > value[1]:
                raise ValueError(f"{where}: {key} range {value!r} has low > high")
        elif not _is_number(value):
            raise ValueError(f"{where}: {key} must be a number or [low, high] of numbers, got {value!r}")
        values = value if isinstance(value, list) else [value]
        too_low = min(values) < low or (key.startswith("duration") and min(values) <= 0)
        if too_low or (high is not None and max(values) > high):
            limit = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            if key.startswith("duration") and low == 0:
                limit = f"above 0 and at most {high:g}" if high is not None else "above 0"
            why = " (science.md §3.2: a cramp lasts 3-600 s)" if key == "duration_s" and table == "cramp" else ""
            raise ValueError(f"{where}: {key} must be {limit}{why}, got {value!r}")
    return item


def _span(value: Any, scale: float) -> tuple[float, float]:
    """Lowest and highest value of a number or ``[low, high]`` range, times ``scale``."""
    lo, hi = (value[0], value[1]) if isinstance(value, list) else (value, value)
    return float(lo) * scale, float(hi) * scale


def cramp_span(item: dict[str, Any], duration_s: float) -> tuple[float, float] | None:
    """Earliest start (prodrome included) and latest end of a cramp over every draw, in s.

    ``None`` when the cramp starts after the recording ends whatever the draw.
    Mirrors ``event_window`` and ``plan_cramps`` (default start 0.3 of the
    recording; no duration means up to the end of the recording).
    """
    if item.get("start_s") is not None:
        s_lo, s_hi = _span(item["start_s"], 1.0)
    else:
        s_lo, s_hi = _span(item["start_frac"] if item.get("start_frac") is not None else 0.3, duration_s)
    if s_lo >= duration_s:
        return None
    if item.get("duration_s") is not None:
        longest = _span(item["duration_s"], 1.0)[1]
    elif item.get("duration_frac") is not None:
        longest = _span(item["duration_frac"], duration_s)[1]
    else:
        longest = np.inf
    return max(s_lo - float(item.get("prodrome_s") or 0.0), 0.0), float(min(s_hi + longest, duration_s))


def check_cramp_overlap(items: list[dict[str, Any]], duration_s: float, where: str) -> None:
    """Raise if two cramps on one muscle could overlap for some seed.

    Two cramps in the same muscle at once would drive the same units twice and
    give two truth events for one contraction, so their worst-case windows
    (``cramp_span``, prodrome included) must be disjoint. Cramps in different
    muscles may overlap (both heads of gastrocnemius can cramp together).

    Raises
    ------
    ValueError
        Naming ``where`` (the scenario file), both cramps and their windows.
    """
    spans = [(k, item["muscle"], cramp_span(item, duration_s)) for k, item in enumerate(items)]
    spans = [(k, m, sp) for k, m, sp in spans if sp is not None]
    for i, (ka, ma, (a0, a1)) in enumerate(spans):
        for kb, mb, (b0, b1) in spans[i + 1:]:
            if ma == mb and a0 < b1 and b0 < a1:
                raise ValueError(
                    f"{where}: [[cramp]] #{ka + 1} and #{kb + 1} on {ma!r} can overlap in a {duration_s:g} s "
                    f"recording: #{ka + 1} may span {a0:.1f}-{a1:.1f} s and #{kb + 1} {b0:.1f}-{b1:.1f} s "
                    "(prodrome included); give them start/duration ranges that cannot meet"
                )


def draw(value: Any, rng: np.random.Generator, key: str = "") -> float:
    """A number as is, or a ``[low, high]`` range drawn uniformly (log-uniformly for ``LOG_KEYS``)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"scenario value for {key!r} must be a number or [low, high], got {value!r}")
        lo, hi = float(value[0]), float(value[1])
        if lo > hi:
            raise ValueError(f"scenario range for {key!r} has low > high: {value!r}")
        if key in LOG_KEYS and lo > 0:
            return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        return float(rng.uniform(lo, hi))
    return float(value)


def event_window(item: dict[str, Any], duration_s: float, default_frac: float = 0.2,
                 rng: np.random.Generator | None = None) -> tuple[float, float | None]:
    """Start time and (optional) duration in s from ``*_s`` or ``*_frac`` keys.

    Parameters
    ----------
    item : dict
        A validated ``[[cramp]]`` or ``[[voluntary]]`` table.
    duration_s : float
        Recording length, s (scales the ``*_frac`` keys).
    default_frac : float
        Start as a fraction of the recording when neither start key is given.
    rng : numpy.random.Generator, optional
        Draws ``[low, high]`` ranges: the start uniformly, then the duration
        log-uniformly (``LOG_KEYS``). Needed only when a range is given; fixed
        values draw nothing, so scenarios without ranges keep their streams.

    Returns
    -------
    start : float
        Event start, s.
    length : float or None
        Event length, s; None when neither duration key is given.
    """

    def value(key: str) -> float:
        raw = item[key]
        if isinstance(raw, (list, tuple)):
            if rng is None:
                raise ValueError(f"event_window: {key} is a range {raw!r} but no random generator was given")
            return draw(raw, rng, key)
        return float(raw)

    if item.get("start_s") is not None:
        start = value("start_s")
    else:
        start = (value("start_frac") if item.get("start_frac") is not None else default_frac) * duration_s
    length = None
    if item.get("duration_s") is not None:
        length = value("duration_s")
    elif item.get("duration_frac") is not None:
        length = value("duration_frac") * duration_s
    return start, length
