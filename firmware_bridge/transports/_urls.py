"""URL factories of the serial boards (style.md §4); ``SOURCES`` names them.

OpenBCI Cyton (or Cyton+Daisy) on its USB dongle::

    cyton://PORT[?baud=115200][&daisy=auto|0|1][&gain=24][&handshake=1][&reconnects=5][&dump=FILE]

``handshake=1`` sends ``s`` and ``v`` and waits for the banner ending in
``$$$`` (protocols.md §1 "Link and startup"); ``daisy=auto`` (the default with
the handshake) reads "On Daisy" in it, and a ``gain`` other than 24 is sent to
every channel (``x...X``). With ``handshake=0`` nothing is sent but ``b``/``s``,
and ``gain`` must say what the board is already set to. Streaming starts with ``b`` and stops
with ``s``. Example: ``cyton:///dev/ttyUSB0``, ``cyton://COM3?daisy=1``.

Any board printing ASCII sample lines (protocols.md §6)::

    serial://PORT?format=ascii&fs=HZ[&channels=N][&baud=115200][&scale=UV_PER_COUNT][&offset=COUNTS]
                  [&counter=0|1][&skip=N][&start=TEXT][&stop=TEXT][&reconnects=5][&dump=FILE]

Example: ``serial:///dev/ttyACM0?format=ascii&fs=1000&channels=2``.

Upside Down Labs Chords firmware (protocols.md §5)::

    chords://PORT?board=UNO-R3[&baud=230400][&gain=2420][&vref=5.0][&reconnects=5][&dump=FILE]

``START``/``STOP`` lines start and stop it. Example: ``chords:///dev/ttyACM0?board=UNO-R3&gain=2420``.

PLUX BITalino (r)evolution over Bluetooth SPP (``/dev/rfcomm0``, ``COM5``) or USB (protocols.md §4)::

    bitalino://PORT[?channels=6][&rate=1000][&emg=1][&baud=115200][&reconnects=5][&dump=FILE]

Acquires A1..A<channels>; the rate byte ``(code << 6) | 3`` is sent first, then
start ``(mask << 2) | 1``; ``0x00`` stops. ``emg=1`` applies the EMG sensor's
transfer function (µV), ``emg=0`` keeps counts. Example: ``bitalino:///dev/rfcomm0?channels=2``.
"""

from __future__ import annotations

import time

import serial

from dsp import SourceError, UnknownSourceError
from firmware_bridge._source import parse_source_url
from firmware_bridge.decoders import (
    BitalinoDecoder,
    ChordsDecoder,
    CytonDecoder,
)
from firmware_bridge.decoders._bitalino import RATES
from firmware_bridge.decoders._cyton import GAINS
from firmware_bridge.transports._ascii_opts import ascii_decoder, line_commands
from firmware_bridge.transports._serial import SerialSource

_CYTON_FORM = "cyton://PORT?baud=115200&daisy=auto|0|1&gain=24&handshake=1&reconnects=5&dump=FILE"
_SERIAL_FORM = ("serial://PORT?format=ascii&fs=HZ&channels=N&baud=115200&scale=UV_PER_COUNT&offset=COUNTS"
                "&counter=0|1&skip=N&start=TEXT&stop=TEXT&reconnects=5&dump=FILE")
_CHORDS_FORM = "chords://PORT?board=NAME&baud=230400&gain=2420&vref=5.0&reconnects=5&dump=FILE"


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("expected 0 or 1")
    return text == "1"


def _port(url: str, path: str, form: str) -> str:
    if not path:
        raise UnknownSourceError(f"{url!r} names no port: expected {form}")
    return path


def cyton_handshake(ser: serial.SerialBase, daisy: bool | None = None, gain: int = 24,
                    timeout_s: float = 3.0) -> CytonDecoder:
    """Stop any stream, soft-reset the Cyton and read its banner; return a decoder that fits it.

    Parameters
    ----------
    ser : serial.SerialBase
        The open port.
    daisy : bool or None
        None: a Daisy if the banner says "On Daisy".
    gain : int
        ADS1299 gain. ``v`` restores 24 on every channel; another gain is
        then set with one ``x...X`` command per channel, each answered ``Success ... $$$``.
    timeout_s : float
        Seconds to wait for the ``$$$`` that ends the banner.

    Raises
    ------
    SourceError
        No banner within ``timeout_s``, or the dongle answered ``Failure`` (board off or on another radio channel).
    """
    ser.write(b"s")
    ser.flush()
    time.sleep(0.05)
    ser.reset_input_buffer()  # drop the tail of a stream that was still running
    reply = _command(ser, b"v", timeout_s)
    text = reply.decode("ascii", "replace")
    if "Failure" in text:
        raise SourceError(f"the Cyton dongle on {ser.port!r} answered {text.strip()!r}: the board is off or on "
                          "another radio channel; switch it on (PC position) and retry")
    if b"$$$" not in reply:
        raise SourceError(f"no reply ending in '$$$' to the Cyton reset command 'v' on {ser.port!r} within "
                          f"{timeout_s:g} s (got {bytes(reply[:60])!r}): is this a Cyton dongle, and the board on? "
                          "Use handshake=0 to skip this check")
    if daisy is None:
        daisy = "Daisy" in text
    decoder = CytonDecoder(daisy=daisy, gains=gain)  # checks the gain
    if gain != 24:
        # 'v' left every channel at x24; set the asked gain with the default other settings
        # (powered, normal input, bias and SRB2 on, SRB1 off: "x1060110X" is the default; protocols.md §1).
        code = GAINS.index(gain)
        for i in range(16 if daisy else 8):
            answer = _command(ser, f"x{_CHANNEL_KEYS[i]}0{code}0110X".encode(), timeout_s)
            if b"Success" not in answer:
                raise SourceError(f"the Cyton on {ser.port!r} did not accept gain {gain} for channel {i + 1}: "
                                  f"it answered {answer.decode('ascii', 'replace').strip()!r}")
    return decoder


#: The channel keys of the ``x`` command: 1-8, then Q W E R T Y U I for the Daisy's 9-16.
_CHANNEL_KEYS = "12345678QWERTYUI"


def _command(ser: serial.SerialBase, command: bytes, timeout_s: float) -> bytes:
    """Send a command and collect the reply up to its ``$$$`` (or the timeout, or 4096 bytes)."""
    ser.write(command)
    ser.flush()
    reply = bytearray()
    deadline = time.monotonic() + timeout_s
    while b"$$$" not in reply and time.monotonic() < deadline and len(reply) < 4096:
        reply += ser.read(ser.in_waiting or 1)
    return bytes(reply)


def cyton_source(url: str) -> SerialSource:
    """Open ``cyton://PORT?...`` (see the module docstring)."""
    options = {"baud": int, "daisy": str, "gain": int, "handshake": _flag, "reconnects": int, "dump": str}
    path, opts = parse_source_url(url, options, _CYTON_FORM)
    port = _port(url, path, _CYTON_FORM)
    daisy_opt = opts.get("daisy", "auto")
    if daisy_opt not in ("auto", "0", "1"):
        raise UnknownSourceError(f"bad value {daisy_opt!r} for option 'daisy' in {url!r}: expected auto, 0 or 1")
    gain = opts.get("gain", 24)
    try:
        CytonDecoder(gains=gain)
    except ValueError as err:
        raise UnknownSourceError(f"bad value {gain!r} for option 'gain' in {url!r}: {err}") from None
    daisy = None if daisy_opt == "auto" else daisy_opt == "1"
    handshake = None
    if opts.get("handshake", True):
        def handshake(ser):
            return cyton_handshake(ser, daisy=daisy, gain=gain)
    src = SerialSource(port, CytonDecoder(daisy=bool(daisy), gains=gain), baudrate=opts.get("baud", 115200),
                       start_command=b"b", stop_command=b"s", handshake=handshake,
                       reconnects=opts.get("reconnects", 5), dump=opts.get("dump"))
    src.url = url
    return src


def serial_source(url: str) -> SerialSource:
    """Open ``serial://PORT?format=ascii&fs=HZ...`` (see the module docstring)."""
    options = {"format": str, "fs": float, "channels": int, "baud": int, "scale": float, "offset": float,
               "counter": _flag, "skip": int, "start": str, "stop": str, "reconnects": int, "dump": str}
    path, opts = parse_source_url(url, options, _SERIAL_FORM)
    port = _port(url, path, _SERIAL_FORM)
    decoder = ascii_decoder(url, opts, _SERIAL_FORM,
                            "serial:// knows 'ascii' (use cyton:// or chords:// for those boards)")
    start, stop = line_commands(opts)
    src = SerialSource(port, decoder, baudrate=opts.get("baud", 115200), start_command=start, stop_command=stop,
                       reconnects=opts.get("reconnects", 5), dump=opts.get("dump"))
    src.url = url
    return src


def chords_source(url: str) -> SerialSource:
    """Open ``chords://PORT?board=NAME...`` (see the module docstring)."""
    options = {"board": str, "baud": int, "gain": float, "vref": float, "reconnects": int, "dump": str}
    path, opts = parse_source_url(url, options, _CHORDS_FORM)
    port = _port(url, path, _CHORDS_FORM)
    if "board" not in opts:
        raise UnknownSourceError(f"{url!r} names no board: expected {_CHORDS_FORM}")
    try:
        decoder = ChordsDecoder(opts["board"], gain=opts.get("gain"), vref=opts.get("vref", 5.0))
    except ValueError as err:
        raise UnknownSourceError(f"bad option in {url!r}: {err}") from None
    # Any byte but STOP sent while an UNO-R3 streams stops it (protocols.md §5): send only START and STOP.
    src = SerialSource(port, decoder, baudrate=opts.get("baud", 230400), start_command=b"START\n",
                       stop_command=b"STOP\n", reconnects=opts.get("reconnects", 5), dump=opts.get("dump"))
    src.url = url
    return src


def bitalino_source(url: str) -> SerialSource:
    """Open ``bitalino://PORT?...`` (see the module docstring)."""
    form = "bitalino://PORT?channels=6&rate=1000&emg=1&baud=115200&reconnects=5&dump=FILE"
    options = {"channels": int, "rate": float, "emg": _flag, "baud": int, "reconnects": int, "dump": str}
    path, opts = parse_source_url(url, options, form)
    port = _port(url, path, form)
    try:
        decoder = BitalinoDecoder(n_channels=opts.get("channels", 6), fs=opts.get("rate", 1000.0),
                                  emg=opts.get("emg", True))
    except ValueError as err:
        raise UnknownSourceError(f"bad option in {url!r}: {err}") from None
    rate_command = bytes([(RATES.index(decoder.fs) << 6) | 0x03])
    start_command = bytes([(((1 << decoder.n_ch) - 1) << 2) | 0x01])

    def set_rate(ser: serial.SerialBase) -> None:
        ser.write(rate_command)
        ser.flush()
        time.sleep(0.1)  # PLUX's own API waits 0.1 s before each command

    src = SerialSource(port, decoder, baudrate=opts.get("baud", 115200), start_command=start_command,
                       stop_command=b"\x00", handshake=set_rate, reconnects=opts.get("reconnects", 5),
                       dump=opts.get("dump"))
    src.url = url
    return src
