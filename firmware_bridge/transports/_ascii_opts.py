"""URL options of an ASCII-line stream, shared by ``serial://`` and ``nus://``.

Both transports carry the same text lines, so the same options build the same
decoder and the same start/stop commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dsp import UnknownSourceError
from firmware_bridge.decoders import AsciiDecoder


def ascii_decoder(url: str, opts: Mapping[str, Any], form: str, known: str) -> AsciiDecoder:
    """The decoder for ``format=ascii&fs=..&channels=..&scale=..&offset=..&counter=..&skip=..``.

    ``known`` finishes the unknown-format message (what the scheme does know).
    """
    fmt = opts.get("format", "ascii")
    if fmt != "ascii":
        raise UnknownSourceError(f"unknown format {fmt!r} in {url!r}; {known}")
    if "fs" not in opts:
        raise UnknownSourceError(f"{url!r} gives no fs: ASCII lines carry no rate, so say it (expected {form})")
    try:
        return AsciiDecoder(fs=opts["fs"], channels=opts.get("channels", 1), scale=opts.get("scale"),
                            offset=opts.get("offset", 0.0), counter=opts.get("counter", False),
                            skip=opts.get("skip", 0), drop_first_line=True)
    except ValueError as err:
        raise UnknownSourceError(f"bad option in {url!r}: {err}") from None


def line_commands(opts: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """``start=``/``stop=`` option text as newline-terminated bytes (empty when not given)."""
    start = (opts["start"] + "\n").encode() if opts.get("start") else b""
    stop = (opts["stop"] + "\n").encode() if opts.get("stop") else b""
    return start, stop
