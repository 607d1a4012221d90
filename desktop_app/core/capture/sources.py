"""Where audio comes from: a sounddevice input stream, or anything that
calls the same callback (the synthetic source used by tests).

A source calls ``callback(block, overflow)`` from its own thread with an
int16 array (16-bit recording) or int32 array (24-bit) shaped
``(frames, channels)`` (the array may be reused after the call returns: the
callback copies it) and ``overflow`` set when the driver
says input was lost before this block. When the stream ends by itself it
calls ``on_stop(None)``; when the device fails (unplugged, driver error) it
calls ``on_stop(message)``. After :meth:`CaptureSource.stop` it calls nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from desktop_app.core.capture.wavstream import BIT_DEPTHS, sample_dtype
from desktop_app.core.errors import JazbaError

log = logging.getLogger(__name__)

BlockCallback = Callable[[np.ndarray, bool], None]
StopCallback = Callable[[str | None], None]

SAMPLE_RATES = (16_000, 44_100, 48_000)
DEFAULT_BLOCK_FRAMES = 1024

NO_DEVICE_MESSAGE = (
    "No microphone or other audio input was found on this computer. Plug one in "
    "(or enable it in the system's sound settings) and try again."
)


class CaptureError(JazbaError):
    """Audio input cannot be opened or used (no device, unsupported setting, …)."""


class CaptureSource(Protocol):
    rate: int
    channels: int
    bits: int  # 16 (int16 blocks) or 24 (int32 blocks)
    name: str

    def start(self, callback: BlockCallback, on_stop: StopCallback) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class InputDevice:
    """An audio input as the system lists it."""

    index: int
    name: str
    host_api: str
    max_channels: int
    default_rate: float
    is_default: bool

    @property
    def label(self) -> str:
        star = " (default)" if self.is_default else ""
        return f"{self.name} — {self.host_api}{star}"


def _sounddevice() -> Any:
    """The sounddevice module, or a :class:`CaptureError` saying why not."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: the PortAudio library is missing
        raise CaptureError(
            f"Audio input is not available: the sound library cannot be loaded ({exc})."
        ) from exc
    return sounddevice


def rescan(sd: Any) -> None:
    """Make PortAudio look for devices again (it lists them once, when it starts,
    so a microphone plugged in later is not seen). Only while no stream is open."""
    terminate, initialize = getattr(sd, "_terminate", None), getattr(sd, "_initialize", None)
    if terminate is None or initialize is None:
        return
    try:
        terminate()
        initialize()
    except Exception as exc:  # PortAudio errors: keep the old list
        log.warning("rescanning audio devices failed: %s", exc)


def list_input_devices(rescan_first: bool = False) -> list[InputDevice]:
    """Every device with at least one input channel (empty when there is none).

    ``rescan_first`` asks the sound system to look again first (see :func:`rescan`:
    no audio stream may be open).
    """
    sd = _sounddevice()
    if rescan_first:
        rescan(sd)
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except Exception as exc:  # PortAudio errors while probing
        log.warning("listing audio devices failed: %s", exc)
        return []
    out = []
    for i, d in enumerate(devices):
        if int(d.get("max_input_channels", 0)) <= 0:
            continue
        api = apis[d["hostapi"]]["name"] if 0 <= d.get("hostapi", -1) < len(apis) else ""
        out.append(
            InputDevice(
                index=i,
                name=str(d["name"]),
                host_api=str(api),
                max_channels=int(d["max_input_channels"]),
                default_rate=float(d.get("default_samplerate", 0) or 0),
                is_default=i == default_in,
            )
        )
    return out


def find_device(device: int | str | None) -> InputDevice:
    """The input device meant by ``device`` (index, part of a name, or None = default)."""
    devices = list_input_devices()
    if not devices:
        raise CaptureError(NO_DEVICE_MESSAGE)
    if device is None or device == "":
        return next((d for d in devices if d.is_default), devices[0])
    if isinstance(device, int) or str(device).isdigit():
        index = int(device)
        for d in devices:
            if d.index == index:
                return d
    else:
        matches = [d for d in devices if str(device).lower() in d.name.lower()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"{d.index}: {d.name}" for d in matches)
            raise CaptureError(f"Several input devices match '{device}': {names}.")
    names = "; ".join(f"{d.index}: {d.name}" for d in devices)
    raise CaptureError(f"There is no input device '{device}'. Inputs: {names}.")


class SoundDeviceSource:
    """A PortAudio input stream (int16, or int32 for 24-bit) through sounddevice."""

    def __init__(
        self,
        device: int | str | None,
        rate: int,
        channels: int,
        *,
        bits: int = 16,
        block_frames: int = DEFAULT_BLOCK_FRAMES,
    ) -> None:
        self.device = find_device(device)
        if channels > self.device.max_channels:
            raise CaptureError(
                f"'{self.device.name}' has {self.device.max_channels} input channel(s); "
                f"cannot record {channels}."
            )
        sd = _sounddevice()
        self.dtype = sample_dtype(bits)
        try:
            sd.check_input_settings(
                device=self.device.index, channels=channels, dtype=self.dtype, samplerate=rate
            )
        except Exception as exc:
            raise CaptureError(
                f"'{self.device.name}' cannot record {channels} channel(s) at {rate} Hz, "
                f"{bits}-bit ({exc}). Choose another sample rate or bit depth."
            ) from exc
        self.rate = rate
        self.channels = channels
        self.bits = bits
        self.name = self.device.name
        self.block_frames = block_frames
        self._stream: Any = None
        self._stopping = threading.Event()

    def start(self, callback: BlockCallback, on_stop: StopCallback) -> None:
        sd = _sounddevice()

        def audio_callback(indata: np.ndarray, _frames: int, _time: Any, status: Any) -> None:
            callback(indata, bool(status.input_overflow))

        def finished() -> None:  # PortAudio thread: the stream became inactive
            if not self._stopping.is_set():
                on_stop(f"The input device '{self.name}' stopped (was it unplugged?).")

        try:
            self._stream = sd.InputStream(
                device=self.device.index,
                samplerate=self.rate,
                channels=self.channels,
                dtype=self.dtype,
                blocksize=self.block_frames,
                callback=audio_callback,
                finished_callback=finished,
            )
            self._stream.start()
        except Exception as exc:
            raise CaptureError(f"Cannot start recording from '{self.name}': {exc}") from exc

    def stop(self) -> None:
        self._stopping.set()
        if self._stream is not None:
            try:
                self._stream.stop()
            except Exception:  # a device that is gone cannot be stopped; closing is enough
                log.info("stopping the input stream failed", exc_info=True)

    def close(self) -> None:
        self.stop()
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:
                log.info("closing the input stream failed", exc_info=True)
            self._stream = None


def open_input(
    device: int | str | None,
    rate: int,
    channels: int,
    *,
    bits: int = 16,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> SoundDeviceSource:
    """A microphone source; :class:`CaptureError` with a clear message when impossible."""
    if rate not in SAMPLE_RATES:
        raise CaptureError(
            f"Unsupported sample rate {rate} Hz; choose one of "
            + ", ".join(f"{r} Hz" for r in SAMPLE_RATES)
            + "."
        )
    if channels not in (1, 2):
        raise CaptureError("Record mono (1 channel) or stereo (2 channels).")
    if bits not in BIT_DEPTHS:
        raise CaptureError(f"Record 16-bit or 24-bit audio, not {bits}-bit.")
    return SoundDeviceSource(device, rate, channels, bits=bits, block_frames=block_frames)
