"""From bursts to events: ``classify`` (offline) and ``Classifier`` (streaming).

Both share one code path: ``classify(bursts)`` is ``Classifier.feed(bursts)``
followed by ``flush()``. The streaming classifier holds each burst for
``HOLD_S`` seconds of signal time after it ends, because an ECG beat can only
be told from a fasciculation by the beats around it (science.md §1.6-1.7).

Bursts are expected in order of their offset, the order a detector emits them.
Under that order any split of the input gives exactly the events of one
``classify`` call over all of it, in the same order.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterable, Sequence

from classifier._context import (
    BEAT_PART_AFTER_S,
    BEAT_PART_BEFORE_S,
    DOUBLET_MAX_S,
    DOUBLET_MIN_S,
    HOLD_S,
    RETAIN_S,
    WINDOW_S,
    absorbed_by,
    beat_like,
    discharge_edge,
    ecg_train,
    gap_edge,
    heartbeat_part,
    larger_twin,
    motion_overlap,
    near_gap,
    on_slow_wave,
    paced_motion,
    same_discharge,
    same_unit,
    steep_edge,
    weak_pieces,
)
from classifier._cramp_model import CrampModel, load_cramp_model
from classifier._rhythm import RHYTHM_CONTEXT_S, rhythm_part
from classifier._rules import (
    AMBIGUOUS_CRAMP_CONFIDENCE,
    NO_REPETITION,
    Decision,
    _fmt_s,
    decide_guard,
    decide_spike,
    decide_sustained,
    discharge_like,
    fade_tail_s,
    feature,
    on_off_envelope,
    t_peak,
)
from dsp import Burst, Event

#: Sustained bursts shorter than this next to a data gap are its edge effects.
GAP_BURST_MAX_S = 2.0
#: A preview looks for a heartbeat train this far back, s: as many beats as
#: the final decision sees on both sides of a spike.
PREVIEW_WINDOW_S = 2 * WINDOW_S
#: Earlier previewed spikes the preview rules look at, s.
PREVIEW_CONTEXT_S = PREVIEW_WINDOW_S + 0.5
#: Previewed spikes kept, s: as far back as a heart rhythm
#: (``classifier._rhythm``) is looked for.
RETAIN_PREVIEW_S = max(PREVIEW_CONTEXT_S, RHYTHM_CONTEXT_S + 0.5)
#: A preview's confidence is its final rule's times this: the seconds after
#: the discharge (heartbeats, a contraction starting) are not seen yet.
PREVIEW_CONFIDENCE = 0.6
#: No preview for a spike whose background (``background_snr``: the level
#: around it over the noise floor) is this high: the first units of a
#: contraction fire as single spikes with the muscle's level rising around
#: them, and only the next second tells. On tuning seeds 1-4 it took the
#: share of previews on a true twitch from 0.62-0.79 to 0.76-0.89, for 1-6
#: points of the true twitches previewed. A provisional call that is later
#: withdrawn costs the user's trust more than one that is not made.
PREVIEW_BACKGROUND_MAX = 1.5
#: A decided heartbeat train predicts the next beats for previews: this many
#: RR intervals ahead at most (the final decisions lag ~4 s) ...
BEAT_AHEAD_MAX = 8
#: ... within this many s of the predicted time plus this share of the RR
#: per beat ahead (heart rate drifts), s and fraction.
BEAT_EXPECT_S = 0.06
BEAT_DRIFT = 0.015


#: A part of a cluster within this of the cluster's largest peak is that
#: discharge (the scoring tolerance for a twitch, science.md 3.6), s.
PEAK_PART_S = 0.025


def _covers_peak(burst: Burst) -> bool:
    """True when one of a sustained burst's parts is its largest discharge."""
    t = t_peak(burst)
    return any(abs(t_peak(p) - t) <= PEAK_PART_S for p in burst.parts)


#: Highest confidence of a "voluntary" call on a piece of what may be a weak
#: cramp breaking up (``classifier._context.weak_pieces``).
PIECE_CONFIDENCE = 0.5


def _breaking_up(burst: Burst, rules: Decision, pieces: Sequence[Burst]) -> Decision:
    """A voluntary call on one of several brief low-level bursts in a row: kept,
    unsure, with the other reading in its evidence (subtype ``weak_on_off``)."""
    span = max(b.offset_s for b in (*pieces, burst)) - min(b.onset_s for b in (*pieces, burst))
    text = (f"{rules.evidence}; but one of {len(pieces) + 1} brief low-level bursts within {_fmt_s(span)} on "
            f"{', '.join(burst.channels)}, over a noise floor that had crept up "
            f"{feature(burst, 'noise_rise'):.1f}x: possibly a weak cramp breaking up (ambiguous)")
    return Decision("voluntary", round(min(rules.confidence, PIECE_CONFIDENCE), 3), text, "weak_on_off")


def _order(b: Burst) -> tuple:
    return (b.offset_s, b.onset_s, b.channels, b.peak_uv, b.kind, b.artifact)


class Classifier:
    """Streaming classifier: feed bursts as they come, get final events back.

    Parameters
    ----------
    fs : float
        Sampling rate of the signal the bursts came from, Hz.
    channels : sequence of str
        Channel names; every burst must name only these.
    cramp_model : CrampModel or None
        Second opinion on the sustained bursts the rules call voluntary
        (``classifier._cramp_model``); the shipped model by default, None
        for the rules alone.

    Attributes
    ----------
    n_absorbed : int
        Bursts that got no event of their own because they were part of
        another (a contraction, an artefact, a larger discharge) or too faint.

    Notes
    -----
    Decisions are final when returned. A spike is held ``HOLD_S`` (~3.8 s)
    of signal time; a contraction that dsp reports only when it ends is not
    known to the spikes at its start if it lasts longer than that.

    Examples
    --------
    >>> from dsp import Burst
    >>> clf = Classifier(1000.0, ["calf"])
    >>> spike = Burst(("calf",), 1.000, 1.015, 80.0, "spike", features={"peak_snr": 12.0})
    >>> clf.feed([spike])        # held: an ECG train could still follow
    []
    >>> [e.trial_type for e in clf.flush()]
    ['fasciculation']
    """

    #: Seconds of signal time a burst is held after it ends before its final
    #: decision (a live view waits this long for a previewed twitch's).
    hold_s: float = HOLD_S

    def __init__(self, fs: float, channels: Sequence[str], *, cramp_model: CrampModel | None | str = "default") -> None:
        fs = float(fs)
        if not (math.isfinite(fs) and fs > 0):
            raise ValueError(f"Classifier: fs must be a positive rate in Hz, got {fs!r}")
        if isinstance(channels, str):
            channels = (channels,)
        self.fs = fs
        self.channels = tuple(str(c) for c in channels)
        if not self.channels:
            raise ValueError("Classifier: at least one channel name is required, got none")
        self._known = set(self.channels)
        self._pending: list[Burst] = []
        self._history: list[Burst] = []  # bursts still inside some context window, by offset
        self._history_off: list[float] = []
        self._recent_fp: list[tuple[float, Burst]] = []  # fasciculations of the last ~0.1 s
        self._clock = -math.inf  # latest offset seen, s
        self._until = -math.inf  # bursts ending HOLD_S before this are decided, s
        self._previews: list[Burst] = []  # spikes previewed in the last RETAIN_PREVIEW_S, by peak
        self._last_beat: tuple[float, float, frozenset] | None = None  # decided ECG beat: peak s, RR s, channels
        #: Spikes that were part of a contraction, an artefact or continuous
        #: activity, so got no event of their own.
        self.n_absorbed = 0
        if isinstance(cramp_model, str):
            if cramp_model != "default":
                raise ValueError(f"Classifier: cramp_model must be a CrampModel, None or 'default', got {cramp_model!r}")
            cramp_model = _default_cramp_model()
        self.cramp_model = cramp_model

    @property
    def clock_s(self) -> float:
        """Signal time the decisions have reached, s (-inf before any):
        every burst that ended more than ``hold_s`` before it is decided.
        The last ``feed``'s ``settled_s``, or without one the latest burst
        offset fed so far."""
        return self._until

    def _check(self, burst: Burst) -> None:
        if not isinstance(burst, Burst):
            raise TypeError(f"Classifier.feed: expected dsp.Burst objects, got {type(burst).__name__}")
        unknown = [c for c in burst.channels if c not in self._known]
        if unknown:
            raise ValueError(
                f"Classifier.feed: the burst at {burst.onset_s:.3f}-{burst.offset_s:.3f} s names "
                f"channel(s) {unknown} that are not among the classifier's channels {list(self.channels)}"
            )

    def feed(self, bursts: Iterable[Burst], *, settled_s: float | None = None) -> list[Event]:
        """Add bursts; return the events whose decision is now final.

        Parameters
        ----------
        bursts : iterable of Burst
            New bursts, ideally in order of ``offset_s``.
        settled_s : float, optional
            Time, s, before which no burst still to come ends: the
            pipeline's ``dsp.Pipeline.settled_s`` after the call that gave
            ``bursts``. A burst is decided once its context window
            (``HOLD_S`` past its end) lies before it, so the decision is the
            one a run over all the bursts at once would make, however the
            stream was chunked. Without it, the latest burst's end stands
            in, which is the same unless a burst arrives later than one
            ending after it (dsp holds a spike beside a contraction until
            the contraction ends).

        Returns
        -------
        list of Event
            Events decided by this call, in order of burst offset.
        """
        new = list(bursts)
        for b in new:
            self._check(b)
        if new:
            self._pending.extend(new)
            for b in new:
                k = bisect.bisect_right(self._history_off, b.offset_s)
                self._history.insert(k, b)
                self._history_off.insert(k, b.offset_s)
            self._clock = max(self._clock, max(b.offset_s for b in new))
        # Everything ending before the settled time has arrived, so a burst
        # whose context window ends before it can be decided now.
        self._until = self._clock if settled_s is None else max(self._until, settled_s)
        return self._finalize(lambda b: b.offset_s + HOLD_S < self._until)

    def flush(self) -> list[Event]:
        """Decide every burst still held (end of the recording)."""
        return self._finalize(lambda b: True)

    def preview(self, bursts: Iterable[Burst]) -> list[Event]:
        """Provisional twitch calls for spikes whose context is not complete.

        Call it after ``feed`` with the same chunk's preview, so artefacts
        released by that chunk are known.

        Parameters
        ----------
        bursts : iterable of Burst
            ``dsp.Pipeline.preview()``: new spikes, then the data gaps not
            yet released (context only).

        Returns
        -------
        list of Event
            A ``fasciculation`` event, subtype ``"provisional"``, for each
            spike the final rules would call a twitch on what is known so
            far: the past (earlier spikes, so a heartbeat continuing a train
            is told), gaps in the data, and dsp's view of activity nearby.
            The final decision (``feed``) comes ~4 s later and may differ;
            previews change nothing in it.
        """
        new = list(bursts)
        for b in new:
            self._check(b)
        gaps = [b for b in new if b.kind == "artifact"]
        out = []
        for b in new:
            if b.kind != "spike":
                continue
            t = t_peak(b)
            self._previews = [p for p in self._previews if t - t_peak(p) <= RETAIN_PREVIEW_S]
            self._previews.append(b)
            # Spikes come from the previews, which see each spike ~0.5 s
            # before its final burst; contractions and artefacts from history.
            lo = min(t - PREVIEW_WINDOW_S, b.onset_s)
            i = bisect.bisect_left(self._history_off, lo)
            recent = [p for p in self._previews if t - t_peak(p) <= PREVIEW_CONTEXT_S]
            ctx = [h for h in self._history[i:] if h.kind != "spike"] + gaps + recent
            if absorbed_by(b, ctx):
                continue
            if b.features.get("background_snr", 0.0) >= PREVIEW_BACKGROUND_MAX:
                continue  # activity around it: maybe a contraction's first units
            if self._expected_beat(b, t):
                continue
            beats, rr = ecg_train(b, ctx, PREVIEW_WINDOW_S) if beat_like(b) else (0, math.nan)
            d = decide_spike(b, ecg_beats=beats, rr_s=rr)
            if (
                d.trial_type != "fasciculation"
                or heartbeat_part(b, ctx, PREVIEW_WINDOW_S) is not None
                or self._preview_rhythm(b, t, gaps)
            ):
                continue
            features = dict(b.features)
            features.setdefault("t_peak_s", t)
            out.append(Event(
                channels=b.channels, onset_s=b.onset_s, offset_s=b.offset_s, peak_uv=b.peak_uv,
                trial_type="fasciculation", confidence=round(d.confidence * PREVIEW_CONFIDENCE, 3),
                # what follows is not seen yet: no claim about repetition
                evidence=d.evidence.replace(NO_REPETITION, "")
                + "; provisional, checking the next seconds",
                subtype="provisional",
                features=features,
            ))
        return out

    def _preview_rhythm(self, spike: Burst, t: float, gaps: list[Burst]) -> bool:
        """``rhythm_part`` on what a preview knows: the previewed spikes and
        the decided bursts of the last ``RHYTHM_CONTEXT_S`` s, nothing ahead."""
        j = bisect.bisect_left(self._history_off, t - RHYTHM_CONTEXT_S)
        ctx = [h for h in self._history[j:] if h.kind != "spike"] + gaps + self._previews
        return rhythm_part(spike, ctx, ahead_s=0.0)

    def _expected_beat(self, burst: Burst, t: float) -> bool:
        """Does spike ``burst`` (peak ``t`` s) fall where the last decided
        heartbeat train puts a beat, or a beat's side lobe or T wave
        (``heartbeat_part``'s window), on a channel of that train? The past
        previews alone miss a train whose weaker beats did not all cross."""
        if self._last_beat is None:
            return False
        tb, rr, chans = self._last_beat
        k = round((t - tb) / rr)
        if not 1 <= k <= BEAT_AHEAD_MAX or not chans.intersection(burst.channels):
            return False
        off = t - (tb + k * rr)
        tol = BEAT_EXPECT_S + BEAT_DRIFT * rr * k
        return -BEAT_PART_BEFORE_S - tol <= off <= BEAT_PART_AFTER_S + tol

    def _finalize(self, ready) -> list[Event]:
        self._pending.sort(key=_order)
        n = 0
        while n < len(self._pending) and ready(self._pending[n]):
            n += 1
        done, self._pending = self._pending[:n], self._pending[n:]
        events = [e for b in done for e in self._decide(b)]
        self._prune()
        return events

    def _prune(self) -> None:
        # Future bursts end at or after the settled time and pending ones are still
        # undecided: nothing older than RETAIN_S before either is context.
        floor = min([self._clock, self._until] + [b.offset_s for b in self._pending]) - RETAIN_S
        k = bisect.bisect_left(self._history_off, floor)
        if k:
            del self._history[:k]
            del self._history_off[:k]

    def _context(self, burst: Burst, since_s: float) -> list[Burst]:
        # Bursts ending in [since_s, offset + HOLD_S]: the window is explicit, so
        # offline and streaming runs look at exactly the same neighbours.
        lo = max(since_s, burst.offset_s - RETAIN_S)
        i = bisect.bisect_left(self._history_off, lo)
        j = bisect.bisect_right(self._history_off, burst.offset_s + HOLD_S)
        return self._history[i:j]

    def _decide(self, burst: Burst) -> list[Event]:
        """The events of one burst: none (absorbed), its own, or, for a cluster
        of twitches, one per twitch inside it (``Burst.parts``)."""
        subtype_extra = ""
        extra_text = ""
        doublet_gap_s = math.nan
        twitches: list[Event] = []
        # A beat partner, containing artefact or neighbouring spike ends after
        # t_peak - WINDOW_S; an overlapping burst ends after the onset.
        since = min(t_peak(burst) - WINDOW_S, burst.onset_s)
        ctx = self._context(burst, since)
        beats, rr = ecg_train(burst, ctx) if beat_like(burst) else (0, math.nan)
        if burst.kind == "artifact":
            if beats < 3 and (discharge_edge(burst, ctx) is not None or steep_edge(burst)):
                self.n_absorbed += 1
                return []
            d = decide_guard(burst)
            if beats >= 3 and burst.artifact in ("motion", "pop"):
                d = Decision("artifact", 0.75 if beats == 3 else 0.9,
                             f"heartbeat (ECG): one of {beats} regular beats at {60 / rr:.0f} per minute "
                             f"on {', '.join(burst.channels)}", "ecg")
            elif burst.artifact == "motion":
                beats, rr = paced_motion(burst, ctx)
                if beats:
                    d = Decision("artifact", 0.85,
                                 f"heartbeat (ECG): slow waves of one of {beats} regular beats at {60 / rr:.0f} "
                                 f"per minute on {', '.join(burst.channels)}", "ecg")
        elif burst.kind == "spike":
            judged = self._judge_spike(burst, ctx, beats, rr)
            if judged is None:
                self.n_absorbed += 1
                return []
            d = judged
            if d.trial_type == "fasciculation":
                t = t_peak(burst)
                self._recent_fp = [(tp, b) for tp, b in self._recent_fp if t - tp <= DOUBLET_MAX_S]
                prev = [tp for tp, b in self._recent_fp if DOUBLET_MIN_S <= t - tp and same_unit(b, burst)]
                if prev:
                    doublet_gap_s = t - max(prev)
                    subtype_extra = "doublet"
                    extra_text = f"; second discharge {doublet_gap_s * 1000:.0f} ms after the first (doublet)"
                    d = Decision(d.trial_type, d.confidence, d.evidence.replace(NO_REPETITION, ""))
                self._recent_fp.append((t, burst))
        else:
            spiky = discharge_like(burst)
            if spiky and larger_twin(burst, ctx) is not None:
                # The same discharge also reached dsp as a larger spike; the
                # others inside it are still twitches of their own.
                self.n_absorbed += 1
                return self._part_twitches(burst, ctx)
            # A discharge-like burst gets the narrower window of a spike.
            if spiky:
                gap = gap_edge(burst, ctx)
            else:
                gap = near_gap(burst, ctx) if burst.duration_s < GAP_BURST_MAX_S else ""
            if gap:
                # A brief burst at the edge of missing or stuck samples.
                self.n_absorbed += 1 + (len(burst.parts) if spiky else 0)
                return []
            d = decide_sustained(burst, motion_overlap=motion_overlap(burst, ctx), ecg_beats=beats, rr_s=rr,
                                 n_channels=len(self.channels))
            if d.trial_type in ("voluntary", "cramp") and self.cramp_model is not None:
                d = self._second_opinion(burst, d)
            pieces = weak_pieces(burst, ctx) if d.trial_type == "voluntary" else []
            if pieces:
                d = _breaking_up(burst, d, pieces)
            if spiky and d.trial_type != "fasciculation":
                # the units of a contraction, or pieces of an artefact, are no twitches
                self.n_absorbed += len(burst.parts)
            elif spiky:
                # separate twitches whose envelopes merged: each part is judged as a spike
                twitches = self._part_twitches(burst, ctx)
            if twitches and _covers_peak(burst):
                return twitches
            elif twitches:
                # dsp found no spike of its own at the largest discharge: the
                # burst's event stands for that one
                d = Decision(d.trial_type, d.confidence,
                             f"the largest of {len(twitches) + 1} twitches within {_fmt_s(burst.duration_s)} on "
                             f"{', '.join(burst.channels)}, {feature(burst, 'peak_snr'):.0f}x noise", "cluster")
        if d.subtype == "ecg" and math.isfinite(rr) and rr > 0:
            self._last_beat = (t_peak(burst), rr, frozenset(burst.channels))
        features = dict(burst.features)
        features.setdefault("t_peak_s", t_peak(burst))
        # the intervals the decision weighed: the heart rhythm this burst
        # keeps (ecg_beats regular beats, ecg_rr_s apart) and a doublet's gap
        if beats:
            features["ecg_beats"] = float(beats)
            features["ecg_rr_s"] = rr
        if math.isfinite(doublet_gap_s):
            features["doublet_gap_s"] = doublet_gap_s
        offset = burst.offset_s
        if d.trial_type == "cramp":
            tail = fade_tail_s(burst)
            if tail >= 0.05:
                offset += tail
                features["fade_tail_s"] = tail
                extra_text += f"; end placed {tail:.1f} s after the signal sank into the noise, from its fade"
        return sorted(twitches + [Event(
            channels=burst.channels,
            onset_s=burst.onset_s,
            offset_s=offset,
            peak_uv=burst.peak_uv,
            trial_type=d.trial_type,
            confidence=d.confidence,
            evidence=d.evidence + extra_text,
            subtype=d.subtype or subtype_extra,
            features=features,
        )], key=lambda e: e.onset_s)

    def _judge_spike(self, spike: Burst, ctx: Sequence[Burst], beats: int, rr: float) -> Decision | None:
        """The spike rules' decision, or None when the spike is part of
        something else (``absorbed_by``) or a twitch-like part of a heartbeat
        (beside a larger beat, or in a steady heart rhythm)."""
        if absorbed_by(spike, ctx):
            return None
        d = decide_spike(spike, ecg_beats=beats, rr_s=rr, on_slow_wave=on_slow_wave(spike, ctx))
        if d.trial_type == "fasciculation" and (
            heartbeat_part(spike, ctx) is not None
            or rhythm_part(spike, self._context(spike, t_peak(spike) - RHYTHM_CONTEXT_S))
        ):
            return None
        return d

    def _part_twitches(self, burst: Burst, ctx: Sequence[Burst]) -> list[Event]:
        """One event per twitch inside a discharge-like burst: the parts dsp
        found in it that the spike rules keep, judged among each other
        (ripples and the same discharge on other channels are not twitches of
        their own)."""
        parts = burst.parts
        # A spike elsewhere that is this burst's largest discharge seen
        # smaller went into the burst (``absorbed_by``): the part at that
        # peak stands for it and must not give way to it.
        t = t_peak(burst)
        pctx = [b for b in ctx if b is not burst
                and not (b.kind == "spike" and same_discharge(b, burst, abs(t_peak(b) - t)))] + list(parts)
        kept = []
        for part in parts:
            beats, rr = ecg_train(part, pctx) if beat_like(part) else (0, math.nan)
            d = self._judge_spike(part, pctx, beats, rr)
            if d is not None and d.trial_type == "fasciculation":
                kept.append((part, d))
        self.n_absorbed += len(parts) - len(kept)
        where = ", ".join(burst.channels)
        if len(kept) == 1:
            among = f"the one clear twitch in {_fmt_s(burst.duration_s)} of activity on {where}"
        else:
            among = f"one of {len(kept)} twitches within {_fmt_s(burst.duration_s)} on {where}"
        out = []
        for part, d in kept:
            features = dict(part.features)
            features.setdefault("t_peak_s", t_peak(part))
            out.append(Event(
                channels=part.channels, onset_s=part.onset_s, offset_s=part.offset_s, peak_uv=part.peak_uv,
                trial_type="fasciculation", confidence=d.confidence, evidence=f"{d.evidence}; {among}",
                subtype="cluster", features=features,
            ))
        return out

    def _second_opinion(self, burst: Burst, rules: Decision) -> Decision:
        """The trained model's say on a contraction the rules called voluntary or, unsure, a cramp
        (``classifier._cramp_model``)."""
        model = self.cramp_model
        if burst.duration_s < model.min_duration_s or not model.applies_to(self.fs) or on_off_envelope(burst):
            return rules
        p = model.probability(burst, len(self.channels))
        why = rules.evidence.split(": ", 1)[1] if ": " in rules.evidence else ""
        why = why.removesuffix(" (ambiguous)")
        where = f"{_fmt_s(burst.duration_s)} on {', '.join(burst.channels)}"
        by_model = f"a model trained on simulated recordings gives a cramp {p:.0%}"
        if rules.trial_type == "voluntary" and p >= model.threshold:
            # The rules saw a voluntary contraction, so the call stays ambiguous.
            text = (f"cramp-like sustained activity for {where}: its length, fade, footprint and "
                    f"movement, weighed together, point to a cramp ({by_model})"
                    + (f"; the rules alone said voluntary: {why}" if why else "") + " (ambiguous)")
            return Decision("cramp", round(min(p, AMBIGUOUS_CRAMP_CONFIDENCE), 3), text)
        if rules.trial_type == "cramp" and rules.confidence <= AMBIGUOUS_CRAMP_CONFIDENCE and p < model.demote_below:
            text = (f"contraction for {where}, looks voluntary on balance: its length, fade, footprint and "
                    f"movement, weighed together, point away from a cramp ({by_model})"
                    + (f"; the rules alone leaned to a cramp: {why}" if why else ""))
            return Decision("voluntary", round(min(1.0 - p, AMBIGUOUS_CRAMP_CONFIDENCE), 3), text)
        return rules


@functools.cache
def _default_cramp_model() -> CrampModel:
    return load_cramp_model()


def classify(bursts: Sequence[Burst], *, fs: float, channels: Sequence[str],
             cramp_model: CrampModel | None | str = "default") -> list[Event]:
    """Classify a whole recording's bursts into events.

    Parameters
    ----------
    bursts : sequence of Burst
        Bursts from ``dsp`` (any order; they are sorted by offset).
    fs : float
        Sampling rate, Hz.
    channels : sequence of str
        Channel names of the recording.
    cramp_model : CrampModel or None
        As for ``Classifier`` (None: the rules alone).

    Returns
    -------
    list of Event
        One event per burst, in order of burst offset, each with a class,
        confidence, plain-words evidence and the burst's features.

    Examples
    --------
    >>> from dsp import Burst
    >>> b = Burst(("calf",), 10.0, 70.0, 300.0, "sustained", features={"fall_s": 8.0})
    >>> classify([b], fs=1000.0, channels=["calf"])[0].trial_type
    'cramp'
    """
    clf = Classifier(fs, channels, cramp_model=cramp_model)
    return clf.feed(sorted(bursts, key=_order)) + clf.flush()
