"""The project's exception hierarchy.

One base class, ``EmgwatchError``. Each subclass names the stage and whose
fault it was, and also inherits the matching built-in so callers that catch
``ValueError`` or ``OSError`` keep working. Every message says what was
expected, what was found and where (file, byte offset, line, channel).
"""

from __future__ import annotations


class EmgwatchError(Exception):
    """Base class of every error emgwatch raises on purpose.

    Any other exception escaping emgwatch is a bug.
    """


class InputFormatError(EmgwatchError, ValueError):
    """A file's content is not what its format promises.

    Example scenarios: a truncated EDF data record, a CSV row with the wrong
    number of columns, a header that lies about the data length.
    """


class UnsupportedFormatError(InputFormatError):
    """No reader knows this file; the message lists the supported formats."""


class RecordingNotFoundError(EmgwatchError, FileNotFoundError):
    """The named recording does not exist or cannot be opened."""


class SourceError(EmgwatchError, OSError):
    """A live source (board, port, simulator) failed after it was opened.

    Example scenarios: the serial port vanished, a BLE device disconnected for
    good, no valid packet arrived in the first few kilobytes.
    """


class SourceTimeoutError(SourceError, TimeoutError):
    """A live source produced no data within the timeout."""


class UnknownSourceError(EmgwatchError, ValueError):
    """A source URL names an unknown scheme or option."""
