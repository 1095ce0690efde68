"""Alerts for sustained activity that is still going on (science.md 2.1: a
cramp alert within 2 s of its onset).

A sustained burst gets its class only when it ends: whether it faded slowly
or stopped at once, how long it lasted. A live display cannot wait minutes to
say anything, so ``OngoingWatch`` turns ``dsp.Pipeline.ongoing()`` into one
provisional alert per run once a channel has been active for
``ALERT_AFTER_S``. The alert says what is known then (sustained activity,
where, for how long), not a class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Continuous sustained activity before an alert, s. Twitches last 8-25 ms
#: and doublets up to 110 ms (science.md 1.1), so a second of activity is a
#: contraction of some kind; with dsp's onset lag this keeps the alert within
#: the 2 s of science.md 2.1 for most cramps.
ALERT_AFTER_S = 1.0


@dataclass(frozen=True, slots=True)
class OngoingAlert:
    """Sustained activity on ``channel`` since ``onset_s``, noticed at ``at_s`` (stream clock, s)."""

    channel: str
    onset_s: float
    at_s: float


class OngoingWatch:
    """Turns repeated ``Pipeline.ongoing()`` readings into one alert per run.

    Examples
    --------
    >>> w = OngoingWatch()
    >>> w.update([("calf", 10.0, 0.4)], now_s=10.5)
    []
    >>> [a.channel for a in w.update([("calf", 10.0, 1.2)], now_s=11.3)]
    ['calf']
    >>> w.update([("calf", 10.0, 2.0)], now_s=12.0)  # the same run: no second alert
    []
    """

    def __init__(self, alert_after_s: float = ALERT_AFTER_S) -> None:
        self.alert_after_s = float(alert_after_s)
        self._seen: dict[str, float] = {}  # channel -> onset of the run already alerted
        self.active: list[tuple[str, float, float]] = []  # the last reading, runs past the threshold

    def update(self, ongoing: Iterable[tuple[str, float, float]], now_s: float) -> list[OngoingAlert]:
        """Feed one reading (channel, onset_s, active_s) at stream time ``now_s``; return new alerts."""
        new = []
        self.active = []
        for channel, onset_s, active_s in ongoing:
            if active_s < self.alert_after_s:
                continue
            self.active.append((channel, onset_s, active_s))
            if self._seen.get(channel) != onset_s:
                self._seen[channel] = onset_s
                new.append(OngoingAlert(channel, onset_s, now_s))
        return new

    def describe(self) -> str:
        """The runs past the threshold in words, ``""`` when there are none."""
        if not self.active:
            return ""
        chans = ", ".join(c for c, _, _ in sorted(self.active, key=lambda r: r[1]))
        longest = max(a for _, _, a in self.active)
        return (f"sustained activity on {chans} for {longest:.0f} s and still going: a cramp or a held "
                "contraction (decided when it ends)")
