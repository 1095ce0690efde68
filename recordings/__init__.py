"""recordings: reading and writing files (recordings and events tables).

Read any supported file in chunks (``open_recording``), or whole
(``read_recording``); write the crash-safe EDF+/BDF+ live format or CSV
(``RecordingWriter``, ``write_recording``); convert between them
(``convert``). ``supported_formats()`` lists the readers.
"""

from recordings._base import BaseReader
from recordings._info import CHANNEL_TYPES, Recording, RecordingInfo
from recordings._registry import READERS, convert, open_recording, read_recording, supported_formats
from recordings._writer import WRITERS, RecordingWriter, events_tsv_path, write_recording
from recordings.events_tsv import EVENT_COLUMNS, read_events_tsv, write_events_tsv

__all__ = [
    "BaseReader",
    "CHANNEL_TYPES",
    "EVENT_COLUMNS",
    "READERS",
    "Recording",
    "RecordingInfo",
    "RecordingWriter",
    "WRITERS",
    "convert",
    "events_tsv_path",
    "open_recording",
    "read_events_tsv",
    "read_recording",
    "supported_formats",
    "write_events_tsv",
    "write_recording",
]
