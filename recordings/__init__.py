"""recordings: reading and writing files (recordings and events tables)."""

from recordings.events_tsv import EVENT_COLUMNS, read_events_tsv, write_events_tsv

__all__ = ["EVENT_COLUMNS", "read_events_tsv", "write_events_tsv"]
