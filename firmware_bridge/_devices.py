"""Device models: how a consumer board degrades the electrode signal.

The simulator renders every component at ``F_INT`` (4 kHz, science.md §3.1 allows
>= 4 kHz) and each device then applies, in this order (science.md §3.1 step 7, §3.4):

1. analog front-end filters (Butterworth high-/low-pass, causal),
2. the decimation filter and sampling at the device rate. For the ADS1299 family
   this is the sinc³ filter: three cascaded boxcars of ``F_INT / fs`` samples,
   whose response ``|sin(pi f/fs) / (L sin(pi f/F_INT))|^3`` has its -3 dB point
   at 0.262·fs and -7.3 dB at 100 Hz for 250 SPS (science.md §1.5, [R50]).
   Nothing is removed above the device Nyquist frequency beyond what that
   response removes, so mains harmonics alias as on the real board (§1.6),
3. optional sample-time jitter (Arduino sketches, ±5 %, §3.4),
4. optional on-board envelope (MyoWare ENV),
5. gain and quantisation to the ADC step, clipping at the rails,
6. packet loss (Gilbert two-state model, bursty) for Bluetooth boards -> NaN.

Steps 1-4 are linear (except the envelope) and are applied per signal component,
so the simulator can measure each event's amplitude after the device; steps 5-6
act on the sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

#: Internal simulation rate in Hz; every device rate divides it.
F_INT: float = 4000.0


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """One board's acquisition chain (science.md §3.4).

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"cyton_250"``.
    fs : float
        Output sampling rate in Hz; must divide ``F_INT``.
    n_channels : int
        Channels the board records.
    decimation : str
        ``"sinc3"`` (ADS1299/MCP3912 style), ``"sinc3_pair"`` (sinc³ at twice the
        rate, then pairs averaged: Cyton+Daisy), or ``"none"`` (plain sampling
        of the analog signal).
    hp_hz, lp_hz : float
        Analog high-/low-pass corners in Hz (0 = absent).
    filter_order : int
        Butterworth order of the analog filters.
    uv_per_count : float
        ADC step in µV (0 = float output, no quantisation).
    rail_lo_uv, rail_hi_uv : float
        Clipping rails in µV.
    packet_samples : int
        Samples per radio packet (loss happens per packet).
    loss_p : float
        Probability that a packet starts a loss burst.
    loss_burst : float
        Mean length of a loss burst in packets.
    jitter_frac : float
        Uniform sample-time jitter as a fraction of the sample period.
    envelope_lp_hz : float
        If > 0, the board outputs a rectified envelope low-passed at this corner.
    description : str
        One line for ``emgwatch devices``.
    """

    name: str
    fs: float
    n_channels: int
    decimation: str = "sinc3"
    hp_hz: float = 0.0
    lp_hz: float = 0.0
    filter_order: int = 2
    uv_per_count: float = 0.0
    rail_lo_uv: float = -math.inf
    rail_hi_uv: float = math.inf
    packet_samples: int = 1
    loss_p: float = 0.0
    loss_burst: float = 1.0
    jitter_frac: float = 0.0
    envelope_lp_hz: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        ratio = F_INT / self.fs
        if self.fs <= 0 or abs(ratio - round(ratio)) > 1e-9:
            raise ValueError(f"DeviceModel {self.name!r}: fs must divide {F_INT:g} Hz, got {self.fs!r}")
        if self.decimation not in ("sinc3", "sinc3_pair", "none"):
            raise ValueError(
                f"DeviceModel {self.name!r}: decimation must be 'sinc3', 'sinc3_pair' or 'none', "
                f"got {self.decimation!r}"
            )
        if self.n_channels < 1:
            raise ValueError(f"DeviceModel {self.name!r}: n_channels must be >= 1, got {self.n_channels}")

    @property
    def step(self) -> int:
        """Internal samples per device sample."""
        return int(round(F_INT / self.fs))

    @property
    def delay_s(self) -> float:
        """Group delay of the FIR decimation filter in s (analog filters excluded)."""
        return (len(_decimation_kernel(self)) - 1) / 2.0 / F_INT

    @property
    def band_hz(self) -> tuple[float, float]:
        """The detector's analysis band: 20 Hz up to min(450, 0.45·fs) (design.md, dsp)."""
        return 20.0, min(450.0, 0.45 * self.fs)


def _boxcar3(length: int) -> np.ndarray:
    box = np.full(length, 1.0 / length)
    return np.convolve(np.convolve(box, box), box)


@lru_cache(maxsize=32)
def _decimation_kernel(dev: DeviceModel) -> np.ndarray:
    # Made once per board and shared by every chain (none modifies it): the
    # truth renders each twitch through a chain of its own.
    step = dev.step
    if dev.decimation == "sinc3":
        return _boxcar3(step)
    if dev.decimation == "sinc3_pair":
        # [A] Daisy: the ADS1299s run at 2·fs; consecutive samples are averaged.
        half = step // 2
        pair = np.zeros(half + 1)
        pair[0] = pair[-1] = 0.5
        return np.convolve(_boxcar3(half), pair)
    return np.ones(1)


def analog_sos(dev: DeviceModel) -> list[np.ndarray]:
    """Second-order sections of the analog front end at ``F_INT`` (may be empty)."""
    return list(_analog_sos(dev))


@lru_cache(maxsize=32)
def _analog_sos(dev: DeviceModel) -> tuple[np.ndarray, ...]:
    # Designed once per board and shared, like _decimation_kernel.
    out = []
    if dev.hp_hz > 0:
        out.append(signal.butter(dev.filter_order, dev.hp_hz, "highpass", fs=F_INT, output="sos"))
    if dev.lp_hz > 0:
        out.append(signal.butter(dev.filter_order, min(dev.lp_hz, 0.45 * F_INT), "lowpass", fs=F_INT, output="sos"))
    return tuple(out)


def apply_linear(dev: DeviceModel, x: np.ndarray, n_out: int, jitter: np.ndarray | None = None) -> np.ndarray:
    """Analog filters, decimation filter and sampling of one whole component.

    Parameters
    ----------
    dev : DeviceModel
    x : ndarray, shape (n_int, n_channels), µV at ``F_INT``
        One signal component at the electrode.
    n_out : int
        Output samples (device rate).
    jitter : ndarray, shape (n_out,), optional
        Sample-time offsets in internal samples (from ``sample_jitter``).

    Returns
    -------
    ndarray of float64, shape (n_out, n_channels), µV
    """
    from firmware_bridge._track import LinearChain  # the block-wise chain; one code path

    x = np.asarray(x, dtype=np.float64)
    n_int = min(x.shape[0], n_out * dev.step)
    out = LinearChain(dev, x.shape[1], jitter).process(x[:n_int], 0)[:n_out]
    if out.shape[0] < n_out:
        out = np.vstack([out, np.zeros((n_out - out.shape[0], out.shape[1]))])
    return out


def sample_jitter(dev: DeviceModel, n_out: int, rng: np.random.Generator) -> np.ndarray | None:
    """Per-sample timing offsets in internal samples (None when the board has none)."""
    if dev.jitter_frac <= 0:
        return None
    return rng.uniform(-dev.jitter_frac, dev.jitter_frac, n_out) * dev.step


def apply_envelope(dev: DeviceModel, y: np.ndarray) -> np.ndarray:
    """On-board envelope (MyoWare ENV): full-wave rectification then a low-pass."""
    if dev.envelope_lp_hz <= 0:
        return y
    sos = signal.butter(2, dev.envelope_lp_hz, "lowpass", fs=dev.fs, output="sos")
    return signal.sosfilt(sos, np.abs(y), axis=0)


def apply_nonlinear(dev: DeviceModel, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Quantise, clip at the rails and drop lost packets.

    Returns
    -------
    data : ndarray of float32, shape (n_samples, n_channels), µV (NaN where lost)
    lost : ndarray of bool, shape (n_samples,)
        True for samples lost in radio packets.
    """
    out = np.array(y, dtype=np.float64, copy=True)
    if dev.uv_per_count > 0:
        out = np.round(out / dev.uv_per_count) * dev.uv_per_count
    out = np.clip(out, dev.rail_lo_uv, dev.rail_hi_uv)
    lost = packet_loss(dev, out.shape[0], rng)
    data = out.astype(np.float32)
    data[lost] = np.nan
    return data, lost


def packet_loss(dev: DeviceModel, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Bursty loss mask from a Gilbert two-state chain over packets (science.md §3.3)."""
    lost = np.zeros(n_samples, dtype=bool)
    if dev.loss_p <= 0 or n_samples == 0:
        return lost
    n_packets = -(-n_samples // dev.packet_samples)
    starts = rng.random(n_packets) < dev.loss_p
    # Burst lengths are geometric with the stated mean (the "bad" state's dwell time).
    lengths = rng.geometric(1.0 / max(dev.loss_burst, 1.0), n_packets)
    bad = np.zeros(n_packets + 1, dtype=np.int64)
    idx = np.flatnonzero(starts)
    np.add.at(bad, idx, 1)
    np.add.at(bad, np.minimum(idx + lengths[idx], n_packets), -1)
    packet_lost = np.cumsum(bad[:-1]) > 0
    return np.repeat(packet_lost, dev.packet_samples)[:n_samples]


def quantisation_rms(dev: DeviceModel) -> float:
    """RMS of the ADC rounding error in µV (uniform error: step / sqrt(12))."""
    return dev.uv_per_count / math.sqrt(12.0)


_ARDUINO_UV = 5.0e6 / 1024.0  # 10-bit ADC over 0-5 V, in µV per count before the gain

#: The board models, by name (science.md §3.4).
DEVICES: dict[str, DeviceModel] = {
    dev.name: dev
    for dev in (
        DeviceModel("cyton_250", 250.0, 8, "sinc3", uv_per_count=0.02235, rail_lo_uv=-187500.0,
                    rail_hi_uv=187500.0, description="OpenBCI Cyton via RFduino dongle: ADS1299 sinc3, 24 bit, 8 ch"),
        DeviceModel("cyton_daisy_125", 125.0, 16, "sinc3_pair", uv_per_count=0.02235, rail_lo_uv=-187500.0,
                    rail_hi_uv=187500.0, description="OpenBCI Cyton + Daisy: 16 ch at 125 SPS (pairs averaged [A])"),
        DeviceModel("cyton_wifi_1000", 1000.0, 8, "sinc3", uv_per_count=0.02235, rail_lo_uv=-187500.0,
                    rail_hi_uv=187500.0, description="OpenBCI Cyton via Wi-Fi shield at 1000 SPS"),
        # MCP3912 full scale 1.2 V / (1.5 · 51) = ±15.7 mV; -3 dB assumed 0.26·fs [A] (science.md §1.5).
        DeviceModel("ganglion_200", 200.0, 4, "sinc3", uv_per_count=0.00187, rail_lo_uv=-15686.0,
                    rail_hi_uv=15686.0, packet_samples=2, loss_p=0.005, loss_burst=3.0,
                    description="OpenBCI Ganglion over BLE: 4 ch at 200 SPS, bursty packet loss"),
        # Myo: on-board filter undocumented; assume 10 Hz HP + 80 Hz LP, 2nd order [A]; int8 ≈ 15 µV/count [A].
        DeviceModel("myo_200", 200.0, 8, "none", hp_hz=10.0, lp_hz=80.0, uv_per_count=15.0,
                    rail_lo_uv=-128 * 15.0, rail_hi_uv=127 * 15.0, packet_samples=2, loss_p=0.005,
                    loss_burst=2.0, description="Thalmic Myo armband: 8 ch int8 at 200 Hz over BLE"),
        # MyoWare RAW into an Arduino 10-bit ADC, analog gain 1000 [A] -> 4.9 µV/count, rails ±2.5 mV.
        DeviceModel("myoware_arduino_1000", 1000.0, 2, "none", hp_hz=20.0, lp_hz=500.0, filter_order=1,
                    uv_per_count=_ARDUINO_UV / 1000.0, rail_lo_uv=-512 * _ARDUINO_UV / 1000.0,
                    rail_hi_uv=511 * _ARDUINO_UV / 1000.0, jitter_frac=0.05,
                    description="MyoWare 2.0 RAW on an Arduino 10-bit ADC at ~1 kHz (jittery)"),
        # MyoWare ENV output: rectified, smoothed (corner 10 Hz [A]), 1 µV-equivalent per count [A].
        DeviceModel("myoware_env_500", 500.0, 2, "none", hp_hz=20.0, lp_hz=500.0, filter_order=1,
                    uv_per_count=1.0, rail_lo_uv=0.0, rail_hi_uv=1023.0, jitter_frac=0.05, envelope_lp_hz=10.0,
                    description="MyoWare 2.0 ENV (envelope) on an Arduino at ~500 Hz: no MUAP shape"),
        # BioAmp: gain 2420, band-pass 72-720 Hz (science.md §1.5 [R56]); no anti-alias filter at 500 Hz.
        DeviceModel("bioamp_arduino_500", 500.0, 2, "none", hp_hz=72.0, lp_hz=720.0, filter_order=1,
                    uv_per_count=_ARDUINO_UV / 2420.0, rail_lo_uv=-512 * _ARDUINO_UV / 2420.0,
                    rail_hi_uv=511 * _ARDUINO_UV / 2420.0, jitter_frac=0.05,
                    description="Upside Down Labs BioAmp on an Arduino 10-bit ADC at ~500 Hz"),
        DeviceModel("ideal_2k", 2000.0, 8, "none", description="Reference: 2 kHz float, no filtering"),
    )
}
