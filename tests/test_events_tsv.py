import pytest

from dsp import Event, InputFormatError
from recordings import EVENT_COLUMNS, read_events_tsv, write_events_tsv


def test_columns_are_the_published_contract():
    assert EVENT_COLUMNS[:6] == ("onset", "duration", "trial_type", "channel", "peak_uv", "confidence")


def test_round_trip_keeps_every_field(tmp_path):
    events = [
        Event(("calf_l", "calf_m"), 12.5, 72.25, 310.0, "cramp", 0.91, "sustained\tinvoluntary", ""),
        Event(("ch3",), 3.0105, 3.0245, 42.5, "fasciculation", 0.8, "single spike", "doublet"),
    ]
    path = tmp_path / "x_events.tsv"
    write_events_tsv(path, events)
    lines = path.read_text().splitlines()
    assert lines[0].split("\t") == list(EVENT_COLUMNS)
    # Sorted by onset, multi-channel names comma-joined, tabs inside text removed.
    assert lines[1].split("\t")[:6] == ["3.0105", "0.0140", "fasciculation", "ch3", "42.50", "0.800"]
    assert lines[2].split("\t")[3] == "calf_l,calf_m"
    assert lines[2].split("\t")[7] == "sustained involuntary"
    back = read_events_tsv(path)
    assert [e.trial_type for e in back] == ["fasciculation", "cramp"]
    assert back[1].channels == ("calf_l", "calf_m")
    assert back[1].offset_s == pytest.approx(72.25)
    assert back[0].subtype == "doublet"


def test_missing_column_is_named_with_the_file(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("onset\tduration\n1\t2\n")
    with pytest.raises(InputFormatError, match="bad.tsv, line 1: .*trial_type"):
        read_events_tsv(path)


def test_bad_cell_names_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("\t".join(EVENT_COLUMNS) + "\n1\t0.1\tsneeze\tch1\t3\t0.5\tn/a\tn/a\n")
    with pytest.raises(InputFormatError, match="line 2: .*trial_type must be one of"):
        read_events_tsv(path)
