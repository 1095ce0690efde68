"""Physiological event generators: fasciculations, cramps, voluntary sets, background units.

Each ``render_*`` function adds MUAP trains to a ``Track`` (rendered later,
block by block, at ``F_INT`` in µV) and returns the events'
ground truth as ``Pending`` records. Parameters and their sources: science.md
§3.2 (table "Physiological event parameters"), §1.1-§1.3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_bridge._artifacts import Pending
from firmware_bridge._firing import (
    DT_CTRL,
    fp_train,
    renewal_train,
    unit_rates,
)
from firmware_bridge._muap import (
    MFR_HZ,
    Muscle,
    distances,
    draw_shape,
    extent_ms,
    pool_templates,
    render_template,
)
from firmware_bridge._scenario import MIN_CRAMP_S, check_cramp_overlap, draw, event_window
from firmware_bridge._track import Track

#: Cramp rate coding [A, fitted to R25]: 6 pps at recruitment (min 6.0 ± 0.8), 1 pps per
#: excitation unit, caps drawn 18-26 pps (max 25.0 ± 8.0); mean lands near 14.5 pps.
CRAMP_MIN_PPS = 6.0
CRAMP_GAIN = 1.0


@dataclass
class CrampPlan:
    muscle: int
    start: float
    ramp: float
    plateau: float
    fade: float
    level: float  # MVC fraction
    prodrome: float
    prodrome_factor: float
    prodrome_mvc: float
    cfg: dict

    @property
    def end(self) -> float:
        return self.start + self.ramp + self.plateau + self.fade


def plan_cramps(items: list[dict], muscles: list[Muscle], duration: float, rng: np.random.Generator,
                where: str = "scenario") -> list[CrampPlan]:
    """Draw each ``[[cramp]]``'s timing and level; drop cramps that start after the recording ends.

    Start and duration ranges are drawn first, per cramp in file order (fixed
    values draw nothing). Cramps cut to under 3 s by the end of the recording
    are dropped (a shortened rendering). Raises ``ValueError`` naming ``where``
    (the scenario file) if two cramps on one muscle could overlap at this
    recording length (``check_cramp_overlap``).
    """
    check_cramp_overlap(items, duration, where)
    names = [m.name for m in muscles]
    plans = []
    for item in items:
        start, length = event_window(item, duration, 0.3, rng)
        ramp = draw(item["ramp_s"], rng, "ramp_s")
        fade = draw(item["fade_s"], rng, "fade_s")
        if length is None:  # log-uniform 3-600 s (median ~30 s), science.md §3.2
            length = float(np.exp(rng.uniform(np.log(3.0), np.log(600.0))))
        length = min(length, duration - start)
        if length < MIN_CRAMP_S:
            continue
        # Keep at least 1 s of plateau when the window is short.
        scale = min(1.0, (length - 1.0) / (ramp + fade)) if ramp + fade > 0 else 1.0
        ramp, fade = ramp * scale, fade * scale
        prodrome = min(float(item["prodrome_s"]), start)
        plans.append(CrampPlan(names.index(item["muscle"]), start, ramp, length - ramp - fade, fade,
                               draw(item["plateau_mvc"], rng), prodrome, draw(item["prodrome_fp_factor"], rng),
                               draw(item["prodrome_mvc"], rng), item))
    return plans


def _trapezoid(t: np.ndarray, start: float, rise: float, hold: float, fall: float) -> np.ndarray:
    up = np.clip((t - start) / max(rise, 1e-6), 0.0, 1.0)
    down = np.clip((start + rise + hold + fall - t) / max(fall, 1e-6), 0.0, 1.0)
    return np.minimum(up, down)


def render_cramps(plans: list[CrampPlan], muscles: list[Muscle], electrodes: np.ndarray, n_ctrl: int,
                  rng: np.random.Generator, track: Track, bg_track: Track,
                  spikes_out: list | None = None) -> list[Pending]:
    """Involuntary multi-unit activity: ramp, wobbling plateau, optional stretch, slow fade (§1.2, §3.2).

    ``spikes_out``, if given, receives ``(cramp index, unit, discharge times in s)`` per unit (for tests).
    """
    events = []
    t = np.arange(n_ctrl) * DT_CTRL
    for k, plan in enumerate(plans):
        muscle = muscles[plan.muscle]
        cfg = plan.cfg
        e_max = muscle.e_max
        shape = _trapezoid(t, plan.start, plan.ramp, plan.plateau, plan.fade)
        # Common drive oscillation 1-2 Hz, depth 10-30 % [R25 coherence at 1.4 Hz], plus slow irregularity.
        f_w, depth = draw(cfg["wobble_hz"], rng), draw(cfg["wobble_depth"], rng)
        wobble = 1.0 + depth * np.sin(2 * np.pi * f_w * t + rng.uniform(0, 2 * np.pi))
        slow = np.convolve(rng.standard_normal(n_ctrl), np.hanning(int(2.0 / DT_CTRL)), "same")
        wobble *= 1.0 + 0.1 * slow / max(np.abs(slow).max(), 1e-9)
        drive = plan.level * e_max * shape * wobble
        stretch = (0.0, 0.0)
        if 0.0 <= float(cfg["stretch_at"]) <= 1.0:
            s0 = plan.start + plan.ramp + float(cfg["stretch_at"]) * plan.plateau
            s_len = draw(cfg["stretch_s"], rng)
            gain = draw(cfg["stretch_gain"], rng)
            drive *= 1.0 + gain * _trapezoid(t, s0, 0.3, max(s_len - 0.6, 0.0), 0.3)  # stretch raises activity [R22]
            stretch = (s0, s0 + s_len)
        # Spatial extent: a region (radius region_mm) that may drift around the limb [R23, R24].
        region = float(cfg["region_mm"])
        lo, hi = muscle.y_mm
        over = [e for e in electrodes if lo <= e[1] <= hi and muscle.x_mm[0] <= e[0] <= muscle.x_mm[1]]
        if over:  # [A] the user put electrodes over the cramp-prone muscle: centre near one of them
            site = over[int(rng.integers(len(over)))]
            cx = float(np.clip(site[0] + rng.normal(0.0, 10.0), *muscle.x_mm))
            cy0 = float(np.clip(site[1] + rng.normal(0.0, 10.0), lo, hi))
        else:
            cx, cy0 = rng.uniform(*muscle.x_mm), rng.uniform(lo, hi)
        v = float(cfg["drift_mm_s"]) * (1 if rng.random() < 0.5 else -1)
        cy = np.clip(cy0 + v * np.clip(t - plan.start, 0.0, None), lo, hi)
        active = np.flatnonzero(shape > 0)
        a, b = (active[0], active[-1] + 1) if active.size else (0, 0)
        lam_scale = draw(cfg["lam_scale"], rng)  # shorter potentials in cramp [R24, R26]
        cap = rng.uniform(18.0, 26.0, muscle.n_units)
        # Sensitivity variant for flag F1 (§3.2): a fraction of units may reach 30-40 pps.
        fast = rng.random(muscle.n_units) < float(cfg["fast_units"])
        cap[fast] = rng.uniform(30.0, 40.0, int(fast.sum()))
        times, units, rates_seen = [], [], []
        for u in range(muscle.n_units):
            if region > 0:
                d = np.hypot(muscle.pos[u, 0] - cx, muscle.pos[u, 1] - cy[a:b])
                e_u = drive[a:b] * np.exp(-((d / region) ** 4))
            else:
                e_u = drive[a:b]
            if e_u.size == 0 or e_u.max() < muscle.rte[u]:
                continue
            rate = unit_rates(e_u, muscle.rte[u], CRAMP_MIN_PPS, CRAMP_GAIN, cap[u])
            spikes = renewal_train(rate, float(cfg["cv"]), rng, doublet_p=float(cfg["doublet_p"])) + a * DT_CTRL
            times.append(spikes)
            units.append(np.full(spikes.size, u))
            rates_seen.append(rate[rate > 0].mean())
            if spikes_out is not None:
                spikes_out.append((k, u, spikes))
        used = np.unique(np.concatenate(units)) if units else np.empty(0, int)
        if used.size:
            tpl = pool_templates(muscle, electrodes, used, rng, lam_scale)
            remap = {int(u): i for i, u in enumerate(used)}
            all_t = np.concatenate(times)
            all_u = np.array([remap[int(u)] for u in np.concatenate(units)], dtype=np.int64)
            track.add_spikes(all_t, all_u, 1.0 + 0.05 * rng.standard_normal(all_t.size), tpl)
        if plan.prodrome > 0:  # low tonic EMG rising before the cramp (1-3 % MVC) [R35]
            pre = np.clip((t - (plan.start - plan.prodrome)) / plan.prodrome, 0, 1) * (t < plan.start)
            render_pool(muscle, electrodes, plan.prodrome_mvc * e_max * pre, 0.2, rng, bg_track)
        events.append(Pending(
            "cramp", "", plan.start, plan.end, "cramp",
            features={
                "plateau_start_s": plan.start + plan.ramp, "plateau_end_s": plan.start + plan.ramp + plan.plateau,
                "level_mvc": plan.level, "ramp_s": plan.ramp, "fade_s": plan.fade, "prodrome_s": plan.prodrome,
                "n_units": float(used.size), "mean_rate_pps": float(np.mean(rates_seen)) if rates_seen else 0.0,
                "region_mm": region, "drift_mm_s": abs(v), "stretch_start_s": stretch[0], "stretch_end_s": stretch[1],
                "cramp_index": float(k),
            },
        ))
    return events


def render_pool(muscle: Muscle, electrodes: np.ndarray, excitation: np.ndarray, cv: float,
                rng: np.random.Generator, track: Track, lam_scale: float = 1.0,
                spikes_out: list | None = None) -> int:
    """Fuglevand rate-coded activity of a whole pool for an excitation profile (§1.3 [R38]).

    Returns the number of units recruited; ``spikes_out`` (for tests) receives ``(unit, times)``.
    """
    times, units = [], []
    peak = excitation.max() if excitation.size else 0.0
    for u in range(muscle.n_units):
        if peak < muscle.rte[u]:
            break  # thresholds increase with the index
        rate = unit_rates(excitation, muscle.rte[u], MFR_HZ, 1.0, muscle.pfr[u])
        spikes = renewal_train(rate, cv, rng)
        times.append(spikes)
        units.append(np.full(spikes.size, len(times) - 1))
        if spikes_out is not None:
            spikes_out.append((u, spikes))
    if not times:
        return 0
    tpl = pool_templates(muscle, electrodes, np.arange(len(times)), rng, lam_scale)
    all_t = np.concatenate(times)
    track.add_spikes(all_t, np.concatenate(units), 1.0 + 0.05 * rng.standard_normal(all_t.size), tpl)
    return len(times)


def render_voluntary(items: list[dict], muscles: list[Muscle], electrodes: np.ndarray, n_ctrl: int,
                     rng: np.random.Generator, track: Track) -> tuple[list[Pending], list[float]]:
    """Trapezoid efforts with antagonist co-contraction; returns events and motion-artefact times (§1.3, §3.2)."""
    names = [m.name for m in muscles]
    duration = n_ctrl * DT_CTRL
    t = np.arange(n_ctrl) * DT_CTRL
    drive = np.zeros((len(muscles), n_ctrl))
    cvs = np.full(len(muscles), 0.15)
    events, motion = [], []
    for item in items:
        start, _ = event_window(item, duration, 0.1, rng)
        agonist = names.index(item["muscle"])
        antagonist = names.index(item["antagonist"]) if item["antagonist"] else -1
        cvs[agonist] = draw(item["cv"], rng)
        for rep in range(int(item["reps"])):
            s0 = start + rep * float(item["period_s"])
            rise, hold, fall = (draw(item[k], rng) for k in ("rise_s", "plateau_s", "fall_s"))
            if s0 + rise + hold + fall > duration - 0.1:
                break
            level = draw(item["level_mvc"], rng)
            prof = _trapezoid(t, s0, rise, hold, fall)
            drive[agonist] = np.maximum(drive[agonist], level * muscles[agonist].e_max * prof)
            co = 0.0
            if antagonist >= 0:
                co = draw(item["cocontraction"], rng)
                drive[antagonist] = np.maximum(drive[antagonist], co * level * muscles[antagonist].e_max * prof)
            if rng.random() < float(item["motion_p"]):  # movement-locked artefact [R44]
                motion.append(s0 + rng.uniform(0.0, min(0.3, rise)))
            events.append(Pending(
                "voluntary", "", s0, s0 + rise + hold + fall, "voluntary",
                features={"plateau_start_s": s0 + rise, "plateau_end_s": s0 + rise + hold, "level_mvc": level,
                          "cocontraction": co, "rep": float(rep)},
            ))
    for m, muscle in enumerate(muscles):
        if drive[m].max() > 0:
            render_pool(muscle, electrodes, drive[m], float(cvs[m]), rng, track)
    return events, motion


def _fp_unit_shape(rng: np.random.Generator, cfg: dict, r: np.ndarray, delay: np.ndarray):
    """One fasciculating unit's shape, kept within the 8-25 ms surface duration (§1.1)."""
    r_best = float(r.min())
    amp = draw(cfg["amp_uv"], rng, "amp_uv")
    lam = draw(cfg["lam_ms"], rng)
    shape = draw_shape(rng, amp, lam, rng.uniform(8.0, 20.0), rng.random() < float(cfg["polyphasic_p"]))
    for _ in range(20):
        tpl = render_template(shape, r, r_best, delay)
        best = int(np.argmax(np.abs(tpl).max(axis=1)))
        t0, t1 = extent_ms(tpl[best])
        if 8.0 <= t1 - t0 <= 25.0:
            break
        factor = 0.9 if t1 - t0 > 25.0 else 1.1
        shape = type(shape)(shape.amp_pp_uv, shape.lam_ms * factor, shape.rho_mm, shape.components)
    return shape, tpl, (t0, t1)


def render_fasciculations(cfg: dict | None, muscles: list[Muscle], electrodes: np.ndarray, n_ctrl: int,
                          plans: list[CrampPlan], rng: np.random.Generator, track: Track) -> list[Pending]:
    """Isolated MUAPs of a few units per muscle at Poisson times (§1.1, §3.2)."""
    if cfg is None:
        return []
    names = [m.name for m in muscles]
    chosen = [names.index(n) for n in cfg["muscles"]] if cfg["muscles"] else list(range(len(muscles)))
    t = np.arange(n_ctrl) * DT_CTRL
    events = []
    for m in chosen:
        muscle = muscles[m]
        rate = draw(cfg["rate_per_min"], rng, "rate_per_min")
        if float(cfg["rate_sigma"]) > 0:  # "high" scenario: log-normal around the median (σ 0.8, §3.2)
            rate = float(np.clip(rate * rng.lognormal(0.0, float(cfg["rate_sigma"])), 0.2, 100.0))
        profile = np.ones(n_ctrl)
        drift = float(cfg["drift"])
        if drift > 0:  # slow rate drift over 10 min (§3.2)
            profile *= 1.0 + drift * np.sin(2 * np.pi * t / 600.0 + rng.uniform(0, 2 * np.pi))
        for plan in plans:  # more twitching before a cramp [R35, R36]
            if plan.muscle == m and plan.prodrome > 0:
                profile[(t >= plan.start - plan.prodrome) & (t < plan.start)] *= plan.prodrome_factor
        n_units = int(cfg["units_per_muscle"])
        share = rng.dirichlet(np.full(n_units, 2.0))
        mu_ids = rng.choice(muscle.n_units, n_units, replace=False)
        r, delay = distances(muscle.pos[mu_ids], electrodes)
        tpls, all_t, all_u = [], [], []
        first = len(events)
        for k in range(n_units):
            _, tpl, (e0, e1) = _fp_unit_shape(rng, cfg, r[k], delay[k])
            tpls.append(tpl)
            times, doublet = fp_train(rate / 60.0 * share[k] * profile, rng, float(cfg["doublet_p"]))
            all_t.append(times)
            all_u.append(np.full(times.size, k))
            for tk, dk in zip(times, doublet, strict=True):
                events.append(Pending(
                    "fasciculation", "doublet" if dk else "", tk + e0 / 1000.0, tk + e1 / 1000.0, "fasciculation",
                    t_peak_s=float(tk),
                    features={"mu_id": float(m * 1000 + mu_ids[k]), "rate_per_min": rate},
                ))
        if all_t:
            cat = np.concatenate(all_t)
            layer = track.add_spikes(cat, np.concatenate(all_u), 1.0 + 0.03 * rng.standard_normal(cat.size),
                                     np.stack(tpls))
            if layer is not None:
                # Events were made in the order of ``cat``: event first + s is discharge s.
                for s, ev in enumerate(events[first:]):
                    ev.spike = (layer, s)
    return events


def render_background(n_units: int, muscles: list[Muscle], electrodes: np.ndarray, n_ctrl: int,
                      rng: np.random.Generator, track: Track) -> None:
    """Continuous single units at ~6.3 Hz, CV 3.5 % [R42]: steady, must not read as fasciculations."""
    if n_units <= 0:
        return
    muscle = muscles[0]
    units = rng.choice(muscle.n_units // 4, n_units, replace=False)
    tpl = pool_templates(muscle, electrodes, units, rng)
    all_t, all_u = [], []
    for k in range(n_units):
        times = renewal_train(np.full(n_ctrl, rng.uniform(5.5, 7.0)), 0.035, rng)
        all_t.append(times)
        all_u.append(np.full(times.size, k))
    cat = np.concatenate(all_t)
    track.add_spikes(cat, np.concatenate(all_u), np.ones(cat.size), tpl)



