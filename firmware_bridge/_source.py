"""``Source``: the one streaming contract, and ``open_source(url)``.

Every source (board, file, simulator) subclasses ``Source``. The base class owns
the public API: ``read(timeout)``, iteration, the context manager, a
``close()`` that is safe to call twice, loss accounting and a ``ResourceWarning``
for a source that was never closed. A subclass fills in one private hook,
``_read_internal(timeout) -> Chunk | None`` (and optionally ``_close_internal``),
like python-can's ``_recv_internal`` (style.md §1).

URLs name sources everywhere (style.md §4)::

    scheme://[path][?option=value[&option=value...]]
    sim://night_calf_cramp?device=cyton_250&seed=3&speed=0

``SOURCES`` maps a scheme to a factory ``factory(url) -> Source``, or to a
``"module:attribute"`` string imported only when that scheme is opened.
``register_source`` lets higher layers add schemes (``file://``).
"""

from __future__ import annotations

import importlib
import math
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dsp import Chunk, SourceError, UnknownSourceError

#: scheme -> factory(url) or "module:attribute" (imported on first use).
SOURCES: dict[str, Callable[[str], Source] | str] = {
    "sim": "firmware_bridge._sim_source:SimSource.from_url",
    "cyton": "firmware_bridge.transports._urls:cyton_source",
    "serial": "firmware_bridge.transports._urls:serial_source",
    "chords": "firmware_bridge.transports._urls:chords_source",
    "bitalino": "firmware_bridge.transports._urls:bitalino_source",
    "ganglion": "firmware_bridge.transports._ble:ganglion_source",
    "nus": "firmware_bridge.transports._ble:nus_source",
    "npg": "firmware_bridge.transports._ble:npg_source",
}


class Source:
    """Base class of every live or replayed source of ``dsp.Chunk`` blocks.

    Subclasses set ``fs`` (Hz) and ``channels`` and implement
    ``_read_internal(timeout)``; they never override ``read``.

    Attributes
    ----------
    fs : float
        Sampling rate, Hz.
    channels : tuple of str
    url : str
        The URL the source was opened from ("" if built directly).
    n_chunks, n_samples, n_lost : int
        Chunks and samples delivered so far, and samples reported lost (``Chunk.lost``).
    rails : (lowest, highest) or None
        What the board's extreme ADC codes read as, each a number or one per
        channel (``dsp.Pipeline``'s ``rails``); None when unknown.
    """

    fs: float = 0.0
    channels: tuple[str, ...] = ()
    url: str = ""
    rails: tuple | None = None

    def __init__(self) -> None:
        self._closed = False
        self._finished = False
        self.n_chunks = 0
        self.n_samples = 0
        self.n_lost = 0

    # -- the hooks a subclass fills in ---------------------------------------------
    def _read_internal(self, timeout: float | None) -> Chunk | None:
        """Return the next chunk, ``None`` if none came within ``timeout`` s.

        Call ``self._mark_finished()`` (and return ``None``) at the end of the stream.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _read_internal(timeout)")

    def _close_internal(self) -> None:
        """Release resources (ports, threads). Called once."""

    # -- the public API --------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def finished(self) -> bool:
        """True once the stream has ended (a finite recording or simulation ran out)."""
        return self._finished

    def _mark_finished(self) -> None:
        self._finished = True

    def read(self, timeout: float | None = None) -> Chunk | None:
        """Return the next chunk of samples.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait; ``None`` waits until a chunk arrives or the stream ends.

        Returns
        -------
        dsp.Chunk or None
            ``None`` when no chunk arrived within ``timeout`` or the stream has
            ended (check ``finished``).

        Raises
        ------
        SourceError
            The source is closed, or it failed.
        """
        if self._closed:
            raise SourceError(f"cannot read from {self!r}: the source is closed")
        if self._finished:
            return None
        if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
            raise ValueError(f"timeout must be None or seconds >= 0, got {timeout!r}")
        chunk = self._read_internal(timeout)
        if chunk is not None:
            self.n_chunks += 1
            self.n_samples += chunk.n_samples
            self.n_lost += chunk.lost
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        """Yield chunks until the stream ends (blocking)."""
        while not self._finished:
            chunk = self.read(None)
            if chunk is not None:
                yield chunk

    def close(self) -> None:
        """Stop the source and release its resources; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._close_internal()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(f"{type(self).__name__} {self.url or ''} was never closed", ResourceWarning, stacklevel=2)
            try:
                self.close()
            except Exception:  # noqa: BLE001 - never raise from a finaliser
                pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("finished" if self._finished else "open")
        return f"<{type(self).__name__} {self.url or ''} fs={self.fs:g} Hz, {len(self.channels)} ch, {state}>"


def parse_source_url(url: str, options: dict[str, Callable[[str], Any]], form: str) -> tuple[str, dict[str, Any]]:
    """Split ``scheme://path?k=v&...`` and convert the options.

    Parameters
    ----------
    url : str
    options : dict of str to callable
        Allowed option names and their converters (e.g. ``float``).
    form : str
        The expected URL form, quoted in error messages.

    Returns
    -------
    path : str
        ``netloc + path`` (e.g. the scenario name or a device path).
    values : dict
        Converted option values (only those given).

    Raises
    ------
    UnknownSourceError
        An unknown or repeated option, or a value its converter rejects.
    """
    parts = urlsplit(url)
    values: dict[str, Any] = {}
    for key, raw in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if key not in options:
            raise UnknownSourceError(
                f"unknown option {key!r} in {url!r}; known options are {sorted(options)} (expected {form})"
            )
        if key in values:
            raise UnknownSourceError(f"option {key!r} given twice in {url!r}")
        try:
            values[key] = options[key](raw)
        except (TypeError, ValueError) as err:
            raise UnknownSourceError(f"bad value {raw!r} for option {key!r} in {url!r}: {err}") from None
    return parts.netloc + parts.path, values


def register_source(scheme: str, factory: Callable[[str], Source] | str) -> None:
    """Add or replace the factory for ``scheme://`` URLs.

    Parameters
    ----------
    scheme : str
        Lower-case URL scheme without ``://`` (e.g. ``"file"``).
    factory : callable or str
        ``factory(url) -> Source``, or ``"module:attribute"`` imported on first use.
    """
    if not scheme or not scheme.replace("+", "").replace("-", "").isalnum() or scheme != scheme.lower():
        raise ValueError(f"scheme must be a lower-case word such as 'file', got {scheme!r}")
    SOURCES[scheme] = factory


def _resolve(scheme: str, target: Callable[[str], Source] | str) -> Callable[[str], Source]:
    if callable(target):
        return target
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise SourceError(
            f"the {scheme}:// source needs module {module_name!r}, which failed to import: {err}"
        ) from err
    for name in attr.split("."):
        obj = getattr(obj, name)
    return obj


def open_source(url: str) -> Source:
    """Open the source a URL names.

    Parameters
    ----------
    url : str
        ``scheme://...``; see ``SOURCES`` for the schemes (``sim://`` is built in).

    Returns
    -------
    Source
        Open and ready to ``read``; use it as a context manager.

    Raises
    ------
    UnknownSourceError
        No ``://``, an unknown scheme, or an unknown option.

    Examples
    --------
    >>> with open_source("sim://noise_only?device=cyton_250&duration=2&speed=0") as src:
    ...     n = sum(chunk.n_samples for chunk in src)
    >>> n
    500
    """
    if "://" not in str(url):
        raise UnknownSourceError(
            f"source {url!r} has no scheme: expected scheme://..., e.g. 'sim://rest_benign'; known schemes are "
            f"{sorted(SOURCES)}"
        )
    scheme = str(url).split("://", 1)[0].lower()
    if scheme not in SOURCES:
        raise UnknownSourceError(f"unknown source scheme {scheme!r} in {url!r}; known schemes are {sorted(SOURCES)}")
    return _resolve(scheme, SOURCES[scheme])(str(url))


def _sleep_until(deadline: float, timeout: float | None) -> bool:
    """Sleep until ``deadline`` (monotonic s) or for at most ``timeout`` s; True if the deadline passed."""
    now = time.monotonic()
    if now >= deadline:
        return True
    wait = deadline - now if timeout is None else min(deadline - now, timeout)
    time.sleep(wait)
    return time.monotonic() >= deadline
