"""The knowledge base file, its loader, and the advice rules."""

from __future__ import annotations

import re
import shutil
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from classifier.history import History
from classifier.knowledge import ADVICE_LEVELS, AdviceBlock, advise, format_advice, load_knowledge_base
from classifier.knowledge._kb import REQUIRED_SECTIONS, default_path
from classifier.knowledge.advice import (
    RULE_ENTRY_IDS,
    TITLE_CRAMPS,
    TITLE_DISCLAIMER,
    TITLE_HELP,
    TITLE_LONG_CRAMP,
    TITLE_NOTHING,
    TITLE_PERSISTENT_TWITCHES,
    TITLE_RECORDED,
    TITLE_RECORDING,
    TITLE_RECURRING_CRAMPS,
    TITLE_RELIEF,
    TITLE_TWITCHES,
)
from classifier.session import summarize_session
from classifier.summary import SessionSummary
from dsp import Event, InputFormatError

# ../shared beside the repository (this file is <repo>/tests/classifier/...).
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED = SHARED / "seed" / "000_b3939c5a930b2b29.txt"
KB = load_knowledge_base()
DISCLAIMER = KB.entry("general.disclaimer").text
UTC = timezone.utc


@pytest.fixture
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"shared seed article not present at {SEED}")
    return SEED.read_text(encoding="utf-8")


def _summary(**kw) -> SessionSummary:
    base = dict(duration_s=600.0, fs=250.0, channels=("ch1", "ch3"), caveats=("a 250 Hz board misses small twitches",))
    base.update(kw)
    return SessionSummary(**base)


MANY_TWITCHES = _summary(fasciculations=230, fasciculation_rate_per_min={"ch3": 19.0, "ch1": 4.0}, doublets=3)
FEW_TWITCHES = _summary(fasciculations=23, fasciculation_rate_per_min={"ch3": 2.3})
CRAMP_2MIN = _summary(cramps=1, cramp_durations_s=(120.0,))
CRAMP_12MIN = _summary(cramps=1, cramp_durations_s=(720.0,))
NOTHING = _summary(voluntary=2, caveats=("channel ch1 was noisy (12 µV RMS)",))


def _titles(blocks: list[AdviceBlock]) -> dict[str, str]:
    return {b.title: b.level for b in blocks}


def _all_text(blocks: list[AdviceBlock]) -> str:
    return "\n".join(line for b in blocks for line in (b.title, *b.lines))


def _check_wording(blocks: list[AdviceBlock]) -> None:
    """science.md 5.4: observations only, the disclaimer always, no disease talk."""
    assert blocks[-1].title == TITLE_DISCLAIMER and blocks[-1].lines[0] == DISCLAIMER
    for block in blocks:
        for line in (block.title, *block.lines):
            if "diagnos" in line.lower():  # only beside the disclaimer, and only negated
                assert block.title == TITLE_DISCLAIMER
                assert re.search(r"(does not|cannot|can't|not) diagnose", line), line
            assert not re.search(r"\bALS\b", line), line
            for word in ("probability", "likelihood", "you may have", "als-like", "lou gehrig", "parkinson"):
                assert word not in line.lower(), (word, line)
    every = [line for b in blocks for line in b.lines]
    assert len(every) == len(set(every)), "a line is repeated"
    shown = set(every)
    for entry in KB.section("cramp", "rare_causes") + KB.section("fasciculation", "rare_causes"):
        assert entry.text not in shown  # reference only: science.md 5.2, never "you may have X"


# -- the file -------------------------------------------------------------------------


def test_shipped_file_loads_with_every_entry_sourced():
    assert KB.schema_version == 1
    assert Path(KB.path) == default_path()
    for condition, sections in REQUIRED_SECTIONS.items():
        for section in sections:
            assert KB.section(condition, section), (condition, section)
    assert len(KB.entries) >= 40
    for entry in KB.entries.values():
        assert entry.text and entry.sources, entry.id
        assert all(KB.labels(entry)), entry.id
    for source in KB.sources.values():
        assert source.label and source.citation and source.ref


def test_every_id_the_rules_use_exists():
    missing = [i for i in RULE_ENTRY_IDS if i not in KB.entries]
    assert missing == []


def test_seed_facts_name_the_seed_sources():
    labels = {s.label for s in KB.sources.values()}
    assert any("Causes of Muscle Twitches and Spasms" in lb and "University of Maryland" in lb for lb in labels)
    assert KB.labels(KB.entry("fasc.cause.stress"))[0].startswith("University of Maryland Medical Center")
    assert KB.labels(KB.entry("cramp.rare.central"))[0].startswith("American Medical Association")


def test_nuances_and_red_flags_cite_science_sources():
    def cites(entry_id: str, label: str) -> bool:
        return label in KB.labels(KB.entry(entry_id))

    assert cites("cramp.flag.long", "NHS Leg cramps")
    assert cites("fasc.flag.weakness", "MedlinePlus Muscle twitching")
    assert cites("fasc.cause.follow_up", "Blexrud et al. 1993")
    assert cites("cramp.emergency.exercise", "Miller et al. 2022")
    assert cites("cramp.cause.minerals_contested", "Miller et al. 2022")
    assert cites("cramp.what.part_of_muscle", "Ross & Thomas 1995")


def test_section_5_3_corrections_are_applied():
    text = {i: e.text.lower() for i, e in KB.entries.items()}
    assert "part of it" in text["cramp.what.part_of_muscle"] and "many motor units" in text["cramp.what.sustained"]
    assert "does not suggest supplements" in text["cramp.cause.minerals_contested"]
    assert "cramp-like" in text["cramp.rare.central"] and "never names a cause" in text["cramp.rare.central"]
    assert "possibility" in text["fasc.rare.other"]
    flags = " ".join(text[i] for i in ("fasc.flag.weakness", "fasc.emergency.bulbar"))
    for word in ("weakness", "wasting", "speaking", "swallowing", "breathing"):
        assert word in flags


def _ngrams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_no_seed_sentence_is_copied(seed_text: str):
    seed = _ngrams(seed_text)
    assert len(seed) > 300  # the article really was read
    doc = tomllib.loads(default_path().read_text(encoding="utf-8"))
    texts = [e["text"] for cond in REQUIRED_SECTIONS for items in doc[cond].values() if isinstance(items, list)
             for e in items]
    assert len(texts) == len(KB.entries)
    shared = {" ".join(g) for t in texts for g in _ngrams(t) & seed}
    assert shared == set()
    # The whole file too (labels, comments): only the title and source names may recur.
    assert {" ".join(g) for g in _ngrams(default_path().read_text(encoding="utf-8")) & seed} == set()


# -- loader errors --------------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = default_path().read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "kb.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_missing_sources_names_file_and_entry(tmp_path):
    path = _broken(tmp_path, 'sources = ["seed_umm", "medlineplus_twitching"]\n', "")
    where = r"kb\.toml: entry fasciculation\.common_causes\[0\] \(id 'fasc\.cause\.stress'\)"
    with pytest.raises(InputFormatError, match=where + r": missing field 'sources'"):
        load_knowledge_base(path)


def test_missing_text_and_unknown_source_are_named(tmp_path):
    path = _broken(tmp_path, 'text = "Hard or unaccustomed exercise is the most frequent trigger."\n', "")
    with pytest.raises(InputFormatError, match=r"id 'cramp\.cause\.exercise'\): missing field 'text'"):
        load_knowledge_base(path)
    path = _broken(tmp_path, 'sources = ["miller_2022"]', 'sources = ["nobody_2030"]')
    unknown = r"cramp\.emergency\.exercise.*unknown source key\(s\) \['nobody_2030'\]"
    with pytest.raises(InputFormatError, match=unknown):
        load_knowledge_base(path)


def test_bad_toml_empty_section_and_missing_file(tmp_path):
    path = _broken(tmp_path, "schema_version = 1", "schema_version = = 1")
    with pytest.raises(InputFormatError, match=r"kb\.toml: not valid TOML: .*line"):
        load_knowledge_base(path)
    path = _broken(tmp_path, "[[general.disclaimer]]", "[[general.other]]")
    with pytest.raises(InputFormatError, match=r"\[general\] needs at least one \[\[general\.disclaimer\]\] entry"):
        load_knowledge_base(path)
    with pytest.raises(FileNotFoundError, match="knowledge base file not found"):
        load_knowledge_base(tmp_path / "absent.toml")


def test_rules_name_a_missing_entry(tmp_path):
    path = _broken(tmp_path, 'id = "cramp.flag.long"', 'id = "cramp.flag.lengthy"')
    kb = load_knowledge_base(path)
    with pytest.raises(InputFormatError, match=r"no entry with id 'cramp\.flag\.long'"):
        advise(CRAMP_12MIN, kb=kb)


# -- advice rules ---------------------------------------------------------------------


def test_many_twitches():
    blocks = advise(MANY_TWITCHES)
    _check_wording(blocks)
    assert list(_titles(blocks).items()) == [
        (TITLE_RECORDED, "info"), (TITLE_TWITCHES, "info"), (TITLE_RELIEF, "info"),
        (TITLE_HELP, "info"), (TITLE_RECORDING, "info"), (TITLE_DISCLAIMER, "info"),
    ]  # fmt: skip
    recorded = blocks[0].lines[0]
    assert recorded.startswith("230 brief single-unit twitches in 10 min (23.0 per minute), most on channel ch3")
    assert "3 of them came as doublets" in recorded
    twitch = blocks[1]
    assert twitch.lines[0] == KB.entry("fasc.nuance.device_counts_more").text  # framing comes first
    assert KB.entry("fasc.cause.very_common").text in twitch.lines
    assert "Blexrud et al. 1993" in twitch.sources and "Bashford et al. 2020 (Muscle Nerve)" in twitch.sources
    help_text = " ".join(blocks[3].lines)
    assert "weakness" in help_text and "wasting" in help_text and "swallowing or breathing" in help_text
    assert "A 250 Hz board misses small twitches." in blocks[4].lines


def test_twitches_tied_over_channels_are_not_said_to_be_most_on_one():
    def line(rates):
        return advise(_summary(fasciculations=3, fasciculation_rate_per_min=rates,
                               channels=("ch1", "ch2", "ch3")))[0].lines[0]

    assert ", on channels ch1, ch2 and ch3 (0.7 per minute each)." in line({"ch3": 0.7, "ch1": 0.7, "ch2": 0.7})
    assert ", most on channels ch1 and ch3 (0.7 per minute each)." in line({"ch3": 0.7, "ch1": 0.7, "ch2": 0.3})
    assert ", most on channel ch3 (1.3 per minute)." in line({"ch3": 1.3, "ch1": 0.7})


def test_few_twitches_skip_the_many_twitch_framing():
    blocks = advise(FEW_TWITCHES)
    _check_wording(blocks)
    assert blocks[0].lines[0] == "23 brief single-unit twitches in 10 min (2.3 per minute), on channel ch3."
    assert KB.entry("fasc.nuance.device_counts_more").text not in _all_text(blocks)
    assert TITLE_CRAMPS not in _titles(blocks)


def test_two_minute_cramp():
    blocks = advise(CRAMP_2MIN)
    _check_wording(blocks)
    titles = _titles(blocks)
    assert titles[TITLE_CRAMPS] == "info" and TITLE_LONG_CRAMP not in titles and TITLE_TWITCHES not in titles
    assert set(titles.values()) == {"info"}
    assert "1 sustained involuntary contraction (cramp-like) of about 2 min." in blocks[0].lines
    relief = next(b for b in blocks if b.title == TITLE_RELIEF)
    assert KB.entry("cramp.relief.stretch").text in relief.lines
    assert KB.entry("cramp.relief.stretch_raises").text in relief.lines  # stretching may raise activity
    text = _all_text(blocks)
    assert "supplements" in text and KB.entry("cramp.flag.long").text in text
    for entry in KB.section("cramp", "rare_causes") + KB.section("fasciculation", "rare_causes"):
        assert entry.text not in text  # reference only, never printed


def test_twelve_minute_cramp_is_urgent():
    blocks = advise(CRAMP_12MIN)
    _check_wording(blocks)
    assert blocks[1].title == TITLE_LONG_CRAMP and blocks[1].level == "urgent"
    assert "about 12 min, more than 10 minutes" in blocks[1].lines[0]
    assert KB.entry("cramp.flag.long").text in blocks[1].lines and "NHS Leg cramps" in blocks[1].sources
    assert _all_text(blocks).count(KB.entry("cramp.flag.long").text) == 1


def test_nothing_found_is_short_with_caveats():
    blocks = advise(NOTHING)
    _check_wording(blocks)
    assert [b.title for b in blocks] == [TITLE_NOTHING, TITLE_DISCLAIMER]
    lines = blocks[0].lines
    assert lines[0] == "No brief twitches and no sustained involuntary activity were found in 10 min on 2 channels."
    assert "Channel ch1 was noisy (12 µV RMS)." in lines
    assert any("2 voluntary contractions" in line for line in lines)
    assert KB.entry("general.quality.surface_limits").text in lines
    # brief low bursts in a row that may be a weak cramp are not called movements you made
    lines = advise(_summary(voluntary=5, voluntary_unsure=4))[0].lines
    assert "1 voluntary contraction (movements you made), not counted as twitches or cramps." in lines
    assert any(line.startswith("4 brief low-level bursts in a row") and "weak cramp breaking up" in line
               for line in lines)
    _check_wording(advise(_summary(voluntary=5, voluntary_unsure=4)))


def _history_with(tmp_path: Path, plan: list[tuple[datetime, SessionSummary]]) -> History:
    history = History(tmp_path / "history.sqlite3")
    for when, summary in plan:
        history.add_session("sim://test", summary, [], started_at=when)
    return history


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_cramps_on_three_days_in_two_weeks_mean_see_a_doctor(tmp_path):
    plan = [(NOW - timedelta(days=d), CRAMP_2MIN) for d in (0, 5, 12)]
    with _history_with(tmp_path, plan) as history:
        blocks = advise(CRAMP_2MIN, history, now=NOW, tz=UTC)
    _check_wording(blocks)
    block = next(b for b in blocks if b.title == TITLE_RECURRING_CRAMPS)
    assert block.level == "see_doctor"
    assert block.lines[0] == "Cramp-like activity was recorded on 3 different days in the last 14 days."
    assert KB.entry("cramp.flag.recurring").text in block.lines
    assert any("University of Maryland" in s for s in block.sources) and "NHS Leg cramps" in block.sources


def test_two_cramp_sessions_in_a_week_mean_see_a_doctor(tmp_path):
    plan = [(NOW - timedelta(hours=h), CRAMP_2MIN) for h in (1, 3)]
    with _history_with(tmp_path, plan) as history:
        blocks = advise(CRAMP_2MIN, history, now=NOW, tz=UTC)
    block = next(b for b in blocks if b.title == TITLE_RECURRING_CRAMPS)
    assert block.lines == (
        "Cramp-like activity was recorded in 2 sessions in the last 7 days.",
        *block.lines[1:],
    )


def test_rare_or_old_cramps_do_not_trigger(tmp_path):
    plan = [(NOW - timedelta(days=d), CRAMP_2MIN) for d in (0, 9, 20, 30)]  # 2 days in window, 1 this week
    with _history_with(tmp_path, plan) as history:
        blocks = advise(CRAMP_2MIN, history, now=NOW, tz=UTC)
    assert TITLE_RECURRING_CRAMPS not in _titles(blocks)
    assert "see_doctor" not in _titles(blocks).values()


def test_twitching_on_many_days_suggests_a_doctor_if_it_persists(tmp_path):
    plan = [(NOW - timedelta(days=d), FEW_TWITCHES) for d in (0, 2, 4, 6)]
    with _history_with(tmp_path, plan) as history:
        blocks = advise(FEW_TWITCHES, history, now=NOW, tz=UTC)
        short = [(NOW - timedelta(days=d), FEW_TWITCHES) for d in (0, 1, 2)]
    _check_wording(blocks)
    block = next(b for b in blocks if b.title == TITLE_PERSISTENT_TWITCHES)
    assert block.level == "see_doctor"
    assert block.lines[0].startswith("Twitches were recorded on 4 different days in the last 14 days")
    assert "usually settles within days" in block.lines[1] and "see a doctor" in block.lines[1]
    (tmp_path / "b").mkdir()
    with _history_with(tmp_path / "b", short) as history:
        assert TITLE_PERSISTENT_TWITCHES not in _titles(advise(FEW_TWITCHES, history, now=NOW, tz=UTC))


@pytest.mark.parametrize("summary", [MANY_TWITCHES, FEW_TWITCHES, CRAMP_2MIN, CRAMP_12MIN, NOTHING])
def test_every_output_has_the_disclaimer_and_caveats(summary):
    blocks = advise(summary)
    _check_wording(blocks)
    text = _all_text(blocks)
    for caveat in summary.caveats:
        assert caveat[1:] in text
    assert all(b.level in ADVICE_LEVELS for b in blocks)


def test_format_advice_wraps_and_tags():
    text = format_advice(advise(CRAMP_12MIN), width=60)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "URGENT: A long cramp-like contraction" in text
    assert "Sources: NHS Leg cramps" in text
    assert "does not diagnose" in " ".join(text.split())
    with pytest.raises(ValueError, match="width must be at least 40"):
        format_advice([], width=10)


def test_advice_block_checks_its_fields():
    with pytest.raises(ValueError, match="level must be one of"):
        AdviceBlock("t", "panic", ("x",))
    with pytest.raises(ValueError, match="at least one line"):
        AdviceBlock("t", "info", ())
    with pytest.raises(TypeError, match="SessionSummary"):
        advise({"fasciculations": 3})  # type: ignore[arg-type]


def test_advice_on_a_real_session_summary():
    """The classifier's own summarize_session output goes through the rules unchanged."""
    events = [
        Event(("calf_1",), 10.0 + 7 * i, 10.015 + 7 * i, 60.0, "fasciculation", 0.9, "single spike")
        for i in range(40)
    ] + [Event(("calf_1", "calf_2"), 300.0, 1030.0, 200.0, "cramp", 0.8, "sustained irregular activity")]
    summary = summarize_session(
        events, duration_s=1200.0, fs=250.0, channels=("calf_1", "calf_2"), device="cyton_250",
        quality={"calf_2": {"noise_uv": 14.0}},
    )
    blocks = advise(summary)
    _check_wording(blocks)
    titles = _titles(blocks)
    assert titles[TITLE_LONG_CRAMP] == "urgent" and TITLE_TWITCHES in titles
    assert blocks[0].lines[0].startswith("40 brief single-unit twitches in 20 min (2.0 per minute), on channel calf_1")
    shown = _all_text(blocks).lower()
    for caveat in summary.caveats:  # every caveat is shown somewhere
        assert caveat.lower() in shown


def test_durations_read_naturally():
    short = _summary(duration_s=90.0, fasciculations=3, cramps=1, cramp_durations_s=(45.0,))
    lines = advise(short)[0].lines
    assert lines[0].startswith("3 brief single-unit twitches in 1.5 min (2.0 per minute)")
    assert lines[1] == "1 sustained involuntary contraction (cramp-like) of about 45 s."
    long = _summary(duration_s=3 * 3600.0, cramps=3, cramp_durations_s=(30.0, 200.0, 65.0))
    assert advise(long)[0].lines[0] == "3 sustained involuntary contractions (cramp-like), the longest about 3.3 min."


def test_kb_copy_in_tmp_still_loads(tmp_path):
    copy = tmp_path / "copy.toml"
    shutil.copy(default_path(), copy)
    assert load_knowledge_base(copy).entries.keys() == KB.entries.keys()
