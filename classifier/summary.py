"""What one analysed session amounts to: the input of the advice rules and the history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """Counts and rates for one recording or monitoring session.

    Parameters
    ----------
    duration_s : float
        Length of the analysed signal, s (excluding nothing).
    fs : float
        Sampling rate, Hz.
    channels : tuple of str
        Channel names analysed.
    device : str
        Device or format the signal came from ("cyton_250", "edf+", ...), or "".
    fasciculations : int
        Fasciculation events (each discharge of a doublet counts).
    fasciculation_rate_per_min : mapping of str to float
        Fasciculations per minute per channel (events listing several
        channels count on their strongest channel).
    doublets : int
        Fasciculation doublets (second discharge 10-110 ms after the first).
    cramps : int
        Cramp events (sustained involuntary activity).
    cramp_durations_s : tuple of float
        Duration of each cramp, s.
    voluntary : int
        Voluntary contractions.
    voluntary_unsure : int
        ... of them brief low-level bursts in a row over a crept noise floor,
        which together may be a weak cramp breaking up (event subtype
        ``weak_on_off``).
    artifacts : mapping of str to int
        Artefact events by subtype ("pop", "ecg", "motion", ...).
    caveats : tuple of str
        Signal-quality caveats in plain words ("a 250 Hz board misses small twitches").
    """

    duration_s: float
    fs: float
    channels: tuple[str, ...]
    device: str = ""
    fasciculations: int = 0
    fasciculation_rate_per_min: Mapping[str, float] = field(default_factory=dict)
    doublets: int = 0
    cramps: int = 0
    cramp_durations_s: tuple[float, ...] = ()
    voluntary: int = 0
    voluntary_unsure: int = 0
    artifacts: Mapping[str, int] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.duration_s >= 0:
            raise ValueError(f"SessionSummary: duration_s must be >= 0 s, got {self.duration_s!r}")
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "cramp_durations_s", tuple(float(d) for d in self.cramp_durations_s))
        object.__setattr__(self, "caveats", tuple(self.caveats))
        object.__setattr__(
            self, "fasciculation_rate_per_min", MappingProxyType(dict(self.fasciculation_rate_per_min))
        )
        object.__setattr__(self, "artifacts", MappingProxyType(dict(self.artifacts)))

    @property
    def fasciculations_per_min(self) -> float:
        """Session-wide fasciculation rate, events per minute."""
        return self.fasciculations / (self.duration_s / 60.0) if self.duration_s > 0 else 0.0

    @property
    def longest_cramp_s(self) -> float:
        return max(self.cramp_durations_s, default=0.0)
