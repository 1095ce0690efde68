"""A small trained model for the sustained bursts the rules call voluntary.

The rules (``classifier._rules.cramp_votes``) weigh each sign of a cramp on
its own, and short cramps that stop within a second or two come out
voluntary: on the 200 Hz tuning seeds a quarter of the cramps did. A logistic
regression over the same burst features weighs the signs together. It only
ever turns a rule's "voluntary" into a cramp, or a cramp the rules call
ambiguous into a voluntary contraction when it is sure of it, and only for bursts of at least
``min_duration_s``, without an on-off envelope (repeated movements; a cramp
does not switch off and on), on a board rate it was trained at; what the
rules call a cramp, a twitch or an artefact is untouched.

The features are those whose direction science.md (sections 1.2-1.3)
states, so the model cannot lean on a quirk of the simulator: a cramp lasts
longer and fades slowly, is often confined to part of a muscle, comes
without movement (little < 20 Hz energy), has shorter, faster potentials
(more zero crossings) and may follow a creeping rise of the floor. The
board's rate is an input too, since it scales the zero-crossing rate.
Features whose fitted sign contradicted the physiology (envelope variability,
rise time, the twitch rate before the burst) were left out.

The coefficients live in ``cramp_model.json`` beside this module, written by
``scripts/train_cramp_model.py`` from simulated tuning-seed recordings; the
file names its training data and cross-validated figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier._rules import feature
from dsp import Burst

#: Model inputs, in order. ``spread`` is the share of the montage's channels
#: the burst reached; the others are dsp's burst features (``dsp.features``).
FEATURES: tuple[str, ...] = ("duration_s", "fall_s", "zc_hz", "lf_ratio", "noise_rise", "spread", "fs")
#: Features that enter as log(1 + x): durations, ratios and rates spanning decades.
LOG_FEATURES: frozenset[str] = frozenset({"duration_s", "fall_s", "lf_ratio", "fs"})

MODEL_PATH = Path(__file__).with_name("cramp_model.json")


def feature_vector(burst: Burst, n_channels: int) -> np.ndarray:
    """The model's raw inputs for ``burst`` on a montage of ``n_channels`` (NaN where unmeasured)."""
    out = np.empty(len(FEATURES))
    for i, name in enumerate(FEATURES):
        if name == "spread":
            x = len(burst.channels) / n_channels if n_channels > 0 else math.nan
        elif name == "duration_s" and name not in burst.features:
            x = burst.offset_s - burst.onset_s
        else:
            x = feature(burst, name)
        if name in LOG_FEATURES:
            x = math.log1p(x) if x >= 0 else math.nan
        out[i] = x
    return out


@dataclass(frozen=True)
class CrampModel:
    """Standardised logistic regression: p = 1 / (1 + exp(-(b + w . (x - mean) / scale))).

    Attributes
    ----------
    fill : ndarray
        Value used for a missing (NaN) input: the training median.
    threshold : float
        Probability from which a rule's "voluntary" becomes a cramp.
    min_duration_s : float
        Shortest burst the model may call a cramp, s (science.md 1.2: a cramp
        is sustained for at least ~2-3 s).
    fs_min, fs_max : float
        Board rates the model may judge, Hz: those it was trained on, with a
        10 % margin. Outside them it would extrapolate (the rate is an input).
    demote_below : float
        Probability under which a cramp the rules call ambiguous becomes a
        voluntary contraction (0: never).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    fill: np.ndarray
    threshold: float
    min_duration_s: float
    fs_min: float = 0.0
    fs_max: float = math.inf
    demote_below: float = 0.0

    def applies_to(self, fs: float) -> bool:
        """True when a board at ``fs`` Hz is within the rates the model was trained on."""
        return self.fs_min <= fs <= self.fs_max

    def probability(self, burst: Burst, n_channels: int) -> float:
        """Probability (0-1) that ``burst`` is a cramp rather than a voluntary contraction."""
        return float(self.probabilities(feature_vector(burst, n_channels)[None, :])[0])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """``probability`` for rows of ``feature_vector`` (an (n, features) array)."""
        x = np.where(np.isfinite(x), x, self.fill)
        z = self.intercept + ((x - self.mean) / self.scale) @ self.coef
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, without overflow

    def to_dict(self) -> dict:
        return {
            "features": list(FEATURES),
            "log_features": sorted(LOG_FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "fill": self.fill.tolist(),
            "threshold": self.threshold,
            "min_duration_s": self.min_duration_s,
            "fs_min": self.fs_min,
            "fs_max": self.fs_max,
            "demote_below": self.demote_below,
        }


def load_cramp_model(path: Path | str = MODEL_PATH) -> CrampModel:
    """Read a model written by ``scripts/train_cramp_model.py``.

    Raises
    ------
    ValueError
        If the file was written for other features than this code computes.
    """
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    if tuple(d.get("features", ())) != FEATURES or set(d.get("log_features", ())) != LOG_FEATURES:
        raise ValueError(f"{path}: model features {d.get('features')} do not match this emgwatch's {list(FEATURES)};"
                         " retrain with scripts/train_cramp_model.py")
    arrays = {k: np.asarray(d[k], dtype=float) for k in ("mean", "scale", "coef", "fill")}
    if any(a.shape != (len(FEATURES),) for a in arrays.values()):
        raise ValueError(f"{path}: mean, scale, coef and fill need {len(FEATURES)} values each")
    return CrampModel(intercept=float(d["intercept"]), threshold=float(d["threshold"]),
                      min_duration_s=float(d["min_duration_s"]), fs_min=float(d["fs_min"]),
                      fs_max=float(d["fs_max"]), demote_below=float(d.get("demote_below", 0.0)), **arrays)


def fit_cramp_model(x: np.ndarray, y: Sequence[bool], *, c: float = 1.0, threshold: float = 0.7,
                    min_duration_s: float = 2.0, fs_margin: float = 0.1, demote_below: float = 0.0) -> CrampModel:
    """Fit the model to rows of ``feature_vector`` (``x``) and labels (True = cramp).

    L2-regularised logistic regression (penalty 1 / ``c`` on the standardised
    weights, not on the intercept) with both classes weighted equally,
    fitted by L-BFGS. The board rates of the rows, widened by ``fs_margin``,
    bound where the model applies.
    """
    from scipy.optimize import minimize

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    if x.ndim != 2 or x.shape[1] != len(FEATURES) or x.shape[0] != y.size:
        raise ValueError(f"fit_cramp_model: need an (n, {len(FEATURES)}) array and n labels, "
                         f"got {x.shape} and {y.size}")
    if y.all() or not y.any():
        raise ValueError("fit_cramp_model: the training rows need both cramps and non-cramps")
    fill = np.nanmedian(x, axis=0)
    x = np.where(np.isfinite(x), x, fill)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    sign = np.where(y, 1.0, -1.0)
    weight = np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        m = sign * (p[0] + z @ p[1:])
        # log(1 + exp(-m)) and its derivative, stable for large |m|
        lo = np.logaddexp(0.0, -m)
        d = -weight * sign / (1.0 + np.exp(m))
        grad = np.concatenate(([d.sum()], z.T @ d + p[1:] / c))
        return float(weight @ lo + 0.5 * (p[1:] @ p[1:]) / c), grad

    res = minimize(loss, np.zeros(len(FEATURES) + 1), jac=True, method="L-BFGS-B")
    fs = np.expm1(x[:, FEATURES.index("fs")])
    return CrampModel(mean=mean, scale=scale, coef=res.x[1:], intercept=float(res.x[0]), fill=fill,
                      threshold=threshold, min_duration_s=min_duration_s, demote_below=demote_below,
                      fs_min=float(fs.min() * (1 - fs_margin)), fs_max=float(fs.max() * (1 + fs_margin)))
