"""Advice rules: from a session summary (and the history) to plain-words advice blocks.

Each rule looks at an observation and picks knowledge-base entries by id; generated
lines only state what was recorded (science.md 5.4: observations such as "23 brief
single-unit twitches in 10 min", never a diagnosis, never disease likelihoods). The
blocks, most pressing first:

============================  ===========  ==============================================
block                         level        when
============================  ===========  ==============================================
What was recorded             info         any twitch or cramp-like activity
No twitches or cramps found   info         neither (with the signal-quality caveats)
A long cramp-like contraction urgent       a cramp > 10 min (NHS [R32])
Cramps keep coming back       see_doctor   history: cramps on >= 3 days of the last 14,
                                           or in >= 2 sessions in 7 days (seed, NHS)
Twitching on many days        see_doctor   history: twitches on >= 4 days spanning >= 4 d
About twitches ...            info         twitches (plus device-count framing if many)
About sustained ... activity  info         cramp-like activity
What may help                 info         either
When to get medical help      info         either: red flags phrased as "if ..."
About this recording          info         always when something was found (caveats)
About this advice             info         always: the disclaimer (and caveats that echo it)
============================  ===========  ==============================================

Red flags that depend on what the user feels (weakness, swallowing ...) are shown as
information, phrased "see a doctor if ..."; only what the recording itself shows
raises a block to ``see_doctor`` or ``urgent``, so a harmless twitch session does not
shout "see a doctor".

Examples
--------
>>> from classifier.summary import SessionSummary
>>> blocks = advise(SessionSummary(duration_s=600, fs=250, channels=("ch3",), fasciculations=23))
>>> blocks[0].lines[0]
'23 brief single-unit twitches in 10 min (2.3 per minute), on channel ch3.'
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from classifier.knowledge._kb import KnowledgeBase, load_knowledge_base
from classifier.summary import SessionSummary

if TYPE_CHECKING:
    from classifier.history import History

#: Block levels, least to most pressing.
ADVICE_LEVELS: tuple[str, ...] = ("info", "see_doctor", "urgent")

# Thresholds. [A] marks an engineering choice (science.md evidence tags).
#: Twitches per minute (session or any channel) above which the "a sensor records more
#: twitches than you feel" framing is added [A]; benign biceps rates are ~1-4/min
#: (science.md 1.1, flag F2) and a sensor catches many a person never notices [R15].
MANY_TWITCHES_PER_MIN = 10.0
#: A cramp longer than this needs urgent advice: NHS leg cramps, "> 10 minutes" [R32].
LONG_CRAMP_S = 600.0
#: Recurring cramps (seed article + NHS [R32]): cramps on this many distinct days ...
RECURRING_CRAMP_DAYS = 3
#: ... within this many days, or ...
RECURRENCE_WINDOW_DAYS = 14
#: ... in this many sessions within 7 days [A].
RECURRING_CRAMP_SESSIONS_7D = 2
#: Twitching "persists" when seen on this many distinct days ... [A]
PERSISTENT_TWITCH_DAYS = 4
#: ... spread over at least this many days: benign twitching usually settles within a
#: few days (seed article, University of Maryland Medical Center).
PERSISTENT_TWITCH_SPAN_DAYS = 4

TITLE_RECORDED = "What was recorded"
TITLE_NOTHING = "No twitches or cramps found"
TITLE_LONG_CRAMP = "A long cramp-like contraction"
TITLE_RECURRING_CRAMPS = "Cramps keep coming back"
TITLE_PERSISTENT_TWITCHES = "Twitching on many days"
TITLE_TWITCHES = "About twitches (fasciculations)"
TITLE_CRAMPS = "About sustained involuntary activity (cramp-like)"
TITLE_RELIEF = "What may help"
TITLE_HELP = "When to get medical help"
TITLE_RECORDING = "About this recording"
TITLE_DISCLAIMER = "About this advice"

#: Every knowledge-base id the rules may print; the tests check the shipped file has them.
RULE_ENTRY_IDS: tuple[str, ...] = (
    "fasc.what.one_unit", "fasc.what.nerve_signal", "fasc.what.not_a_cramp",
    "fasc.cause.stress", "fasc.cause.triggers", "fasc.cause.companions", "fasc.cause.settles",
    "fasc.cause.very_common", "fasc.cause.follow_up",
    "fasc.nuance.device_counts_more", "fasc.nuance.count_not_health", "fasc.nuance.many_muscles",
    "fasc.nuance.persisting", "fasc.relief.stretch", "fasc.relief.move", "fasc.relief.triggers",
    "fasc.flag.weakness", "fasc.flag.persistent", "fasc.emergency.bulbar",
    "cramp.what.sustained", "cramp.what.part_of_muscle", "cramp.what.calf_night", "cramp.what.cramp_like",
    "cramp.cause.exercise", "cramp.cause.other", "cramp.cause.minerals_contested",
    "cramp.relief.stretch", "cramp.relief.walk", "cramp.relief.stretch_raises", "cramp.relief.painkillers",
    "cramp.flag.recurring", "cramp.flag.sleep_numb", "cramp.flag.long", "cramp.emergency.exercise",
    "general.disclaimer", "general.flag.new_medicine", "general.emergency.call_ahead",
    "general.quality.surface_limits",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AdviceBlock:
    """One block of advice, ready to print.

    Parameters
    ----------
    title : str
        Short heading.
    level : str
        ``"info"``, ``"see_doctor"`` or ``"urgent"`` (``ADVICE_LEVELS``).
    lines : tuple of str
        Sentences in plain words.
    sources : tuple of str
        Labels of the sources behind the lines, without repeats.
    """

    title: str
    level: str
    lines: tuple[str, ...]
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in ADVICE_LEVELS:
            raise ValueError(f"AdviceBlock: level must be one of {ADVICE_LEVELS}, got {self.level!r}")
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "sources", tuple(self.sources))
        if not self.title or not self.lines:
            raise ValueError(f"AdviceBlock {self.title!r}: a title and at least one line are required")


class _Block:
    """Collects lines and their sources for one AdviceBlock.

    ``shown`` is shared by all blocks of one advice: an entry is printed once, in the
    first (most pressing) block that cites it.
    """

    def __init__(self, kb: KnowledgeBase, shown: set[str], title: str, level: str = "info") -> None:
        self.kb, self.shown, self.title, self.level = kb, shown, title, level
        self.lines: list[str] = []
        self.sources: list[str] = []

    def say(self, line: str) -> _Block:
        """Add a generated observation (no source: it is what was measured)."""
        self.lines.append(line)
        return self

    def cite(self, *entry_ids: str) -> _Block:
        """Add knowledge-base entries with their sources."""
        for entry_id in entry_ids:
            entry = self.kb.entry(entry_id)
            if entry_id in self.shown:
                continue
            self.shown.add(entry_id)
            self.lines.append(entry.text)
            self.sources.extend(s for s in self.kb.labels(entry) if s not in self.sources)
        return self

    def build(self) -> AdviceBlock:
        return AdviceBlock(self.title, self.level, tuple(self.lines), tuple(self.sources))


@functools.lru_cache(maxsize=1)
def _shipped_kb() -> KnowledgeBase:
    # The shipped file never changes while running and KnowledgeBase is read-only.
    return load_knowledge_base()


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 600:  # "1.5 min", not a rounded "2 min" for 90 s
        return f"{seconds / 60:.1f}".removesuffix(".0") + " min"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _sentence(text: str) -> str:
    # Caveats arrive as fragments ("a 250 Hz board misses small twitches").
    text = " ".join(str(text).split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _twitch_line(s: SessionSummary) -> str:
    count = _plural(s.fasciculations, "brief single-unit twitch", "brief single-unit twitches")
    line = f"{count} in {_duration(s.duration_s)}"
    if s.duration_s > 0:
        line += f" ({s.fasciculations_per_min:.1f} per minute)"
    rates = sorted(((r, ch) for ch, r in s.fasciculation_rate_per_min.items() if r > 0), reverse=True)
    if len(rates) == 1 or (not rates and len(s.channels) == 1):
        line += f", on channel {rates[0][1] if rates else s.channels[0]}"
    elif rates:
        # a tie has no "most": three twitches on three channels are spread out
        order = {ch: i for i, ch in enumerate(s.channels)}
        top = sorted((ch for r, ch in rates if r == rates[0][0]), key=lambda ch: (order.get(ch, len(order)), ch))
        if len(top) == 1:
            line += f", most on channel {top[0]} ({rates[0][0]:.1f} per minute)"
        else:
            where = ", ".join(top[:-1]) + f" and {top[-1]}"
            most = "" if len(top) == len(rates) else "most "
            line += f", {most}on channels {where} ({rates[0][0]:.1f} per minute each)"
    line += "."
    if s.doublets:
        what = "a doublet" if s.doublets == 1 else "doublets"
        line += f" {s.doublets} of them came as {what}: a second discharge within about 0.1 s of the first."
    return line


def _cramp_line(s: SessionSummary) -> str:
    if s.cramps == 1:
        return f"1 sustained involuntary contraction (cramp-like) of about {_duration(s.longest_cramp_s)}."
    return (
        f"{s.cramps} sustained involuntary contractions (cramp-like), "
        f"the longest about {_duration(s.longest_cramp_s)}."
    )


def _other_lines(s: SessionSummary) -> list[str]:
    lines = []
    sure = s.voluntary - s.voluntary_unsure
    if sure:
        lines.append(
            f"{_plural(sure, 'voluntary contraction', 'voluntary contractions')} (movements you made), "
            "not counted as twitches or cramps."
        )
    if s.voluntary_unsure:
        lines.append(
            f"{_plural(s.voluntary_unsure, 'brief low-level burst', 'brief low-level bursts')} in a row on the "
            "same channels, over a noise floor that had crept up: each looks like a small movement, but "
            "together they may be a weak cramp breaking up (not counted as a cramp)."
        )
    n_art = sum(s.artifacts.values())
    if n_art:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(s.artifacts.items()) if n)
        lines.append(
            f"{_plural(n_art, 'stretch', 'stretches')} of signal looked like artefacts ({kinds}) "
            "and were left out of the counts."
        )
    return lines


def _many_twitches(s: SessionSummary) -> bool:
    peak_channel = max(s.fasciculation_rate_per_min.values(), default=0.0)
    return max(s.fasciculations_per_min, peak_channel) > MANY_TWITCHES_PER_MIN


def _history_blocks(
    kb: KnowledgeBase, shown: set[str], history: History, now: datetime | None, tz: tzinfo | None
) -> list[AdviceBlock]:
    rec = history.recurrence(days=RECURRENCE_WINDOW_DAYS, now=now, tz=tz)
    blocks = []
    if rec.cramp_days >= RECURRING_CRAMP_DAYS or rec.sessions_with_cramps_last_7d >= RECURRING_CRAMP_SESSIONS_7D:
        b = _Block(kb, shown, TITLE_RECURRING_CRAMPS, "see_doctor")
        if rec.cramp_days >= RECURRING_CRAMP_DAYS:
            b.say(f"Cramp-like activity was recorded on {rec.cramp_days} different days in the last {rec.days} days.")
        if rec.sessions_with_cramps_last_7d >= RECURRING_CRAMP_SESSIONS_7D:
            n = rec.sessions_with_cramps_last_7d
            b.say(f"Cramp-like activity was recorded in {n} sessions in the last 7 days.")
        blocks.append(b.cite("cramp.flag.recurring", "cramp.flag.sleep_numb").build())
    first, last = rec.first_twitch_day, rec.last_twitch_day
    if (
        rec.twitch_days >= PERSISTENT_TWITCH_DAYS
        and first is not None
        and last is not None
        and (last - first).days >= PERSISTENT_TWITCH_SPAN_DAYS
    ):
        b = _Block(kb, shown, TITLE_PERSISTENT_TWITCHES, "see_doctor")
        b.say(
            f"Twitches were recorded on {rec.twitch_days} different days in the last {rec.days} days "
            f"(first on {first.isoformat()}, latest on {last.isoformat()})."
        )
        blocks.append(b.cite("fasc.nuance.persisting", "fasc.flag.persistent").build())
    return blocks


def advise(
    summary: SessionSummary,
    history: History | None = None,
    *,
    kb: KnowledgeBase | None = None,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[AdviceBlock]:
    """Turn one session's summary (and the history, if given) into advice blocks.

    Parameters
    ----------
    summary : SessionSummary
        The session to advise on.
    history : History, optional
        The local history. Add this session to it first (``History.add_session``) so
        the recurrence rules count it.
    kb : KnowledgeBase, optional
        Knowledge base to quote; default: the shipped one.
    now, tz : optional
        The moment and time zone the history's "last 14 days" are counted from
        (default: now, local time).

    Returns
    -------
    list of AdviceBlock
        Most pressing first; the last block is always the disclaimer.
    """
    if not isinstance(summary, SessionSummary):
        raise TypeError(f"advise: summary must be a SessionSummary, got {type(summary).__name__}")
    kb = _shipped_kb() if kb is None else kb
    twitches, cramps = summary.fasciculations > 0, summary.cramps > 0
    # A caveat that says what the disclaimer says ("... cannot diagnose a disease") is
    # shown beside the disclaimer, so that word appears only there and only negated.
    caveats = [c for c in map(_sentence, summary.caveats) if c]
    disclaimer_like = [c for c in caveats if "diagnos" in c.lower()]
    caveats = [c for c in caveats if c not in disclaimer_like]
    blocks: list[AdviceBlock] = []
    shown: set[str] = set()

    if twitches or cramps:
        b = _Block(kb, shown, TITLE_RECORDED)
        if twitches:
            b.say(_twitch_line(summary))
        if cramps:
            b.say(_cramp_line(summary))
        for line in _other_lines(summary):
            b.say(line)
        blocks.append(b.build())
    else:
        b = _Block(kb, shown, TITLE_NOTHING)
        b.say(
            f"No brief twitches and no sustained involuntary activity were found in {_duration(summary.duration_s)} "
            f"on {_plural(len(summary.channels), 'channel', 'channels')}."
        )
        for line in (*_other_lines(summary), *caveats):
            b.say(line)
        blocks.append(b.cite("general.quality.surface_limits").build())

    long_cramp = summary.longest_cramp_s > LONG_CRAMP_S
    if long_cramp:
        b = _Block(kb, shown, TITLE_LONG_CRAMP, "urgent")
        b.say(
            f"The longest sustained involuntary contraction (cramp-like) lasted about "
            f"{_duration(summary.longest_cramp_s)}, more than 10 minutes."
        )
        blocks.append(b.cite("cramp.flag.long", "cramp.relief.stretch", "cramp.relief.walk").build())

    if history is not None:
        blocks.extend(_history_blocks(kb, shown, history, now, tz))

    if twitches:
        b = _Block(kb, shown, TITLE_TWITCHES)
        if _many_twitches(summary):
            b.cite("fasc.nuance.device_counts_more", "fasc.nuance.count_not_health")
        b.cite("fasc.what.one_unit", "fasc.what.nerve_signal")
        if sum(1 for r in summary.fasciculation_rate_per_min.values() if r > 0) > 1:
            b.cite("fasc.nuance.many_muscles")
        b.cite("fasc.cause.very_common", "fasc.cause.stress", "fasc.cause.triggers", "fasc.cause.companions")
        b.cite("fasc.cause.settles", "fasc.cause.follow_up")
        blocks.append(b.build())
    if cramps:
        b = _Block(kb, shown, TITLE_CRAMPS)
        b.cite("cramp.what.cramp_like", "cramp.what.sustained", "cramp.what.part_of_muscle", "cramp.what.calf_night")
        b.cite("cramp.cause.exercise", "cramp.cause.other", "cramp.cause.minerals_contested")
        blocks.append(b.build())
    if twitches or cramps:
        b = _Block(kb, shown, TITLE_RELIEF)
        if cramps:
            b.cite("cramp.relief.stretch", "cramp.relief.walk", "cramp.relief.stretch_raises")
            b.cite("cramp.relief.painkillers")
        if twitches:
            b.cite("fasc.relief.stretch", "fasc.relief.move", "fasc.relief.triggers")
        blocks.append(b.build())

        b = _Block(kb, shown, TITLE_HELP)
        if twitches:
            b.cite("fasc.flag.weakness", "fasc.emergency.bulbar", "fasc.flag.persistent")
        if cramps:
            b.cite("cramp.flag.sleep_numb", "cramp.flag.long", "cramp.emergency.exercise")
        blocks.append(b.cite("general.flag.new_medicine", "general.emergency.call_ahead").build())

        b = _Block(kb, shown, TITLE_RECORDING)
        for line in caveats:
            b.say(line)
        blocks.append(b.cite("general.quality.surface_limits").build())

    b = _Block(kb, shown, TITLE_DISCLAIMER).cite("general.disclaimer")
    for line in disclaimer_like:
        b.say(line)
    blocks.append(b.build())
    return blocks


_TAGS = {"info": "", "see_doctor": "SEE A DOCTOR: ", "urgent": "URGENT: "}


def format_advice(blocks: Sequence[AdviceBlock], width: int = 88) -> str:
    """Render advice blocks as plain text for a terminal.

    Parameters
    ----------
    blocks : sequence of AdviceBlock
        As returned by :func:`advise`.
    width : int
        Maximum line length in characters (at least 40).

    Returns
    -------
    str
        One paragraph per block: the title (prefixed ``URGENT:`` or ``SEE A DOCTOR:``
        when it asks for action), its lines as bullets, then its sources.
    """
    if width < 40:
        raise ValueError(f"format_advice: width must be at least 40 characters, got {width!r}")
    out: list[str] = []
    for block in blocks:
        out.append(textwrap.fill(_TAGS[block.level] + block.title, width=width, subsequent_indent="  "))
        for line in block.lines:
            out.append(textwrap.fill(line, width=width, initial_indent="  - ", subsequent_indent="    "))
        if block.sources:
            out.append(
                textwrap.fill(
                    "; ".join(block.sources), width=width, initial_indent="  Sources: ", subsequent_indent="    "
                )
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
