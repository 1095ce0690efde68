"""Motor-unit pools, geometry and MUAP templates (science.md §1.3, §1.4, §3.1).

Coordinates are millimetres on the skin: ``x`` along the limb (the fibre
direction), ``y`` around it; MU depth is below the skin. Each MU gets a template
per channel from the Hermite-Rodriguez functions [R48, R49]:

* ``HR1(t) = (t/λ)·exp(-(t/λ)²)`` (biphasic), ``HR2(t) = (1-2(t/λ)²)·exp(-(t/λ)²)`` (triphasic);
* amplitude ``A_ch = A_best · exp(-(r - r_best)/ρ) · r_best/r`` and width
  ``λ_ch = λ0 · (1 + κ·(r - r_best))``, with ``r`` the 3-D distance from the MU
  territory to the electrode-pair centroid (science.md §3.1 step 4);
* delay ``|x_MU - x_ch| / CV`` for propagation along the fibres (CV 4 m/s [A]).

``A_best`` and ``λ0`` are what the nearest electrode sees, so the scenario's
amplitude range (p-p at the electrode, §3.2) holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_bridge._devices import F_INT

#: Template support in internal samples (±40 ms): HR at λ = 7 ms decays below 1e-4 there.
HALF_SUPPORT = int(0.040 * F_INT)
#: Conduction velocity in mm/ms (= m/s), [A] typical 4 m/s (science.md §3.1, MyoGen default 4.2).
CV_MM_PER_MS = 4.0
#: Width growth per mm of extra distance ([A]; NeMu uses λ(1 + k_d·d) [R49]).
KAPPA_PER_MM = 0.02


def hermite_rodriguez(t_ms: np.ndarray, lam_ms: float, order: int) -> np.ndarray:
    """HR1 (order 1) or HR2 (order 2) shape with unit peak-to-peak amplitude."""
    u = t_ms / lam_ms
    g = np.exp(-u * u)
    shape = u * g if order == 1 else (1.0 - 2.0 * u * u) * g
    pp = shape.max() - shape.min()
    return shape / pp


@dataclass(frozen=True, slots=True)
class UnitShape:
    """Shape parameters of one MU at its nearest electrode.

    ``components`` holds ``(offset_ms, sign, weight, order)`` for polyphasic
    units (science.md §3.1: 2-3 HR components 1-4 ms apart with alternating sign).
    """

    amp_pp_uv: float
    lam_ms: float
    rho_mm: float
    components: tuple[tuple[float, float, float, int], ...]


def draw_shape(rng: np.random.Generator, amp_pp_uv: float, lam_ms: float, rho_mm: float,
               polyphasic: bool) -> UnitShape:
    """Pick HR1/HR2 (60/40 [A], §3.1) or a polyphasic sum for one unit."""
    order = 1 if rng.random() < 0.6 else 2
    comps = [(0.0, 1.0, 1.0, order)]
    if polyphasic:
        # Narrower components so the whole potential stays within the 8-25 ms surface duration (§1.1).
        n_extra = int(rng.integers(1, 3))
        offset = 0.0
        sign = 1.0
        for _ in range(n_extra):
            offset += float(rng.uniform(1.0, 4.0))
            sign = -sign
            comps.append((offset, sign, float(rng.uniform(0.4, 0.9)), int(rng.integers(1, 3))))
        lam_ms = lam_ms * 0.75
    return UnitShape(amp_pp_uv, lam_ms, rho_mm, tuple(comps))


def render_template(shape: UnitShape, r_mm: np.ndarray, r_best: float, delay_ms: np.ndarray,
                    lam_scale: float = 1.0) -> np.ndarray:
    """Per-channel templates at ``F_INT``.

    Parameters
    ----------
    shape : UnitShape
    r_mm : ndarray, shape (n_channels,)
        Distance from the MU territory to each electrode centroid, mm.
    r_best : float
        Distance to the nearest electrode, mm.
    delay_ms : ndarray, shape (n_channels,)
        Propagation delay to each channel, ms.
    lam_scale : float
        Width factor (cramp potentials are shorter, λ × 0.8-0.95, §3.2).

    Returns
    -------
    ndarray of float64, shape (n_channels, 2*HALF_SUPPORT + 1), µV
        Sample ``HALF_SUPPORT`` is the discharge time at the nearest electrode.
    """
    t_ms = (np.arange(-HALF_SUPPORT, HALF_SUPPORT + 1) / F_INT) * 1000.0
    n_ch = len(r_mm)
    out = np.zeros((n_ch, t_ms.size))
    r_mm = np.asarray(r_mm, dtype=float)
    extra = np.maximum(r_mm - r_best, 0.0)
    # exp(-r/ρ) alone (§3.1) leaves a 500 µV unit visible 10 cm away on a 1 µV Cyton floor; the
    # extra r_best/r (line-source-like fall-off [A]) keeps FPs on 1-3 neighbouring channels (§3.2).
    gains = shape.amp_pp_uv * np.exp(-extra / shape.rho_mm) * (r_best / np.maximum(r_mm, r_best))
    for ch in range(n_ch):
        lam = shape.lam_ms * lam_scale * (1.0 + KAPPA_PER_MM * extra[ch])
        wave = np.zeros_like(t_ms)
        for offset, sign, weight, order in shape.components:
            wave += sign * weight * hermite_rodriguez(t_ms - offset - delay_ms[ch], lam, order)
        pp = wave.max() - wave.min()
        out[ch] = wave * (gains[ch] / pp)
    return out


def extent_ms(template: np.ndarray, frac: float = 0.05) -> tuple[float, float]:
    """Start and end (ms, relative to the discharge) of the span above ``frac`` of the peak."""
    mag = np.abs(template)
    above = np.flatnonzero(mag >= frac * mag.max())
    t0 = (above[0] - HALF_SUPPORT) / F_INT * 1000.0
    t1 = (above[-1] - HALF_SUPPORT) / F_INT * 1000.0
    return float(t0), float(t1)


@dataclass
class Muscle:
    """A rectangular muscle region under the skin, with its MU pool (Fuglevand 1993 [R38])."""

    name: str
    x_mm: tuple[float, float]
    y_mm: tuple[float, float]
    depth_mm: tuple[float, float]
    n_units: int
    pos: np.ndarray  # (n_units, 3) territory centres x, y, depth
    rte: np.ndarray  # recruitment threshold excitation, Fuglevand units
    pfr: np.ndarray  # peak firing rate, Hz
    amp_pp_uv: np.ndarray  # p-p at a 5 mm reference distance
    lam_ms: np.ndarray
    rho_mm: np.ndarray

    @property
    def e_max(self) -> float:
        """Excitation at 100 % MVC: the last unit reaches its peak rate (Fuglevand 1993)."""
        return float(self.rte[-1] + (self.pfr[-1] - MFR_HZ) / GAIN_HZ)


#: Fuglevand 1993 [R38] (science.md §1.3, §3.1): RR = 30, MFR 8 Hz, gain 1 Hz/unit, PFR 35 -> 25 Hz.
RR = 30.0
MFR_HZ = 8.0
GAIN_HZ = 1.0
PFR_FIRST_HZ = 35.0
PFRD_HZ = 10.0


def make_muscle(name: str, x_mm, y_mm, depth_mm, n_units: int, rng: np.random.Generator) -> Muscle:
    """Build a pool: exponential thresholds, onion-skin peak rates, size-ordered MUAPs."""
    i = np.arange(1, n_units + 1)
    rte = np.exp(np.log(RR) * i / n_units)
    pfr = PFR_FIRST_HZ - PFRD_HZ * rte / rte[-1]
    pos = np.column_stack([
        rng.uniform(*x_mm, n_units),
        rng.uniform(*y_mm, n_units),
        rng.uniform(*depth_mm, n_units),
    ])
    frac = (i - 1) / max(n_units - 1, 1)
    # Surface MUP 26 -> 69 µV from threshold to 40 % MVC [R10]; NeMu spans 1 -> 11.4 over the pool [R49].
    # 40 µV at 5 mm [A, calibrated]: gives ~50-150 µV RMS at 50 % MVC over the muscle.
    amp = 40.0 * np.exp(np.log(11.4) * frac) * rng.lognormal(0.0, 0.25, n_units)
    # Larger, later units are shorter (NeMu λ 1.8 -> 1.4 ms at the fibre [R49]); at the skin
    # surface durations are 10-11 ms (§1.1 [R11]) -> λ ≈ 3.0 -> 2.5 ms here, which gives the
    # voluntary MPF of 60-120 Hz that §3.5 asks for [D from the §1.4 table].
    lam = (3.0 - 0.5 * frac) * rng.uniform(0.9, 1.1, n_units)
    rho = rng.uniform(8.0, 20.0, n_units)  # spatial decay ρ = 8-20 mm [A] (§3.2)
    return Muscle(name, tuple(x_mm), tuple(y_mm), tuple(depth_mm), n_units, pos, rte, pfr, amp, lam, rho)


def distances(pos: np.ndarray, electrodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """3-D distances (mm) and along-fibre delays (ms) from MU territories to electrodes.

    Returns arrays shaped (n_units, n_channels).
    """
    dx = pos[:, None, 0] - electrodes[None, :, 0]
    dy = pos[:, None, 1] - electrodes[None, :, 1]
    r = np.sqrt(dx * dx + dy * dy + pos[:, None, 2] ** 2)
    delay = np.abs(dx) / CV_MM_PER_MS
    delay = delay - delay.min(axis=1, keepdims=True)
    return r, delay


def pool_templates(muscle: Muscle, electrodes: np.ndarray, units: np.ndarray, rng: np.random.Generator,
                   lam_scale: float = 1.0, ref_mm: float = 5.0) -> np.ndarray:
    """Templates for a subset of a muscle's units, shape (n_sel, n_channels, n_taps).

    Amplitudes are referred to a 5 mm distance, so deep units look small on every channel.
    """
    r, delay = distances(muscle.pos[units], electrodes)
    out = np.empty((len(units), electrodes.shape[0], 2 * HALF_SUPPORT + 1))
    for k, u in enumerate(units):
        r_best = float(r[k].min())
        amp = muscle.amp_pp_uv[u] * np.exp(-max(r_best - ref_mm, 0.0) / muscle.rho_mm[u])
        shape = draw_shape(rng, amp, muscle.lam_ms[u], muscle.rho_mm[u], polyphasic=False)
        out[k] = render_template(shape, r[k], r_best, delay[k], lam_scale)
    return out
