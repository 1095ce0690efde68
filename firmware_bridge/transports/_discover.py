"""Which serial ports are there, and what board is probably on each: ``list_serial_ports()``.

The guess comes from the USB vendor/product IDs and the descriptor strings
that pyserial's ``list_ports.comports()`` reports; it is only a guess (many
boards share a USB-serial chip), so each row also says why, and suggests a URL
the user can edit. Table (VID:PID, hex):

* ``0403:6015`` FTDI FT231X: the OpenBCI Cyton USB dongle (protocols.md §1
  "an FTDI USB-serial converter"); other FTDI parts are generic adapters.
* ``2341:*`` / ``2a03:*`` Arduino LLC/SRL boards, ``1a86:7523`` CH340 clones,
  ``10c4:ea60`` CP210x (ESP32 dev boards), ``2e8a:*`` Raspberry Pi RP2040:
  boards that run Chords firmware or print ASCII lines (protocols.md §5, §6).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One serial port and a guess of the board on it.

    Attributes
    ----------
    port : str
        Device path (``/dev/ttyUSB0``, ``COM3``).
    description : str
        What the operating system calls it.
    hwid : str
        pyserial's hardware id (``USB VID:PID=0403:6015 SER=...``).
    board : str
        ``"cyton"``, ``"arduino"`` (Chords firmware or ASCII lines), or ``""`` when unknown.
    reason : str
        Why the guess was made.
    url : str
        A suggested source URL to start from (``""`` when unknown).
    """

    port: str
    description: str
    hwid: str
    board: str
    reason: str
    url: str


#: (vid, pid or None for any) -> (board, reason)
_USB_IDS: dict[tuple[int, int | None], tuple[str, str]] = {
    (0x0403, 0x6015): ("cyton", "FTDI FT231X, the chip of the OpenBCI Cyton dongle"),
    (0x2341, None): ("arduino", "Arduino LLC board"),
    (0x2A03, None): ("arduino", "Arduino SRL board"),
    (0x1A86, 0x7523): ("arduino", "CH340 USB-serial, common on Arduino clones"),
    (0x10C4, 0xEA60): ("arduino", "CP210x USB-serial, common on ESP32 boards"),
    (0x2E8A, None): ("arduino", "Raspberry Pi RP2040 board"),
}


def guess_board(vid: int | None, pid: int | None, description: str = "") -> tuple[str, str]:
    """Guess the board behind a USB-serial port.

    Parameters
    ----------
    vid, pid : int or None
        USB vendor and product IDs (None for a non-USB port).
    description : str
        The port's description or product string.

    Returns
    -------
    board : str
        ``"cyton"``, ``"arduino"`` or ``""``.
    reason : str
    """
    text = description.lower()
    if "openbci" in text:
        return "cyton", f"the description says {description!r}"
    if vid is not None:
        for key in ((vid, pid), (vid, None)):
            if key in _USB_IDS:
                return _USB_IDS[key]
    if "arduino" in text:
        return "arduino", f"the description says {description!r}"
    if vid is None:
        return "", "not a USB port"
    return "", f"unknown USB device {vid:04x}:{(pid or 0):04x}"


def _suggest(board: str, port: str) -> str:
    if board == "cyton":
        return f"cyton://{port}"
    if board == "arduino":
        return f"serial://{port}?format=ascii&fs=1000&channels=1"
    return ""


def list_serial_ports() -> list[PortInfo]:
    """List the serial ports with a guess of the board on each, USB boards first.

    Returns
    -------
    list of PortInfo

    Examples
    --------
    >>> rows = list_serial_ports()
    >>> all(isinstance(r, PortInfo) for r in rows)
    True
    """
    from serial.tools import list_ports

    rows = []
    for p in list_ports.comports():
        description = p.description if p.description and p.description != "n/a" else (p.product or "")
        board, reason = guess_board(p.vid, p.pid, " ".join(filter(None, (description, p.manufacturer or ""))))
        rows.append(PortInfo(p.device, description, p.hwid if p.hwid != "n/a" else "", board, reason,
                             _suggest(board, p.device)))
    rows.sort(key=lambda r: (r.board == "", r.hwid == "", r.port))
    return rows
