"""Open whichever engine a model folder holds: Whisper or CTC.

Services, the GUI and the CLI call :func:`load_engine` and use the
:class:`SpeechEngine` surface; they never branch on the architecture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from desktop_app.asr.manifest import (
    ALIGN_FILE,
    CTC_INT8_FILE,
    DECODER_INT8_FILE,
    ENCODER_INT8_FILE,
    is_ctc_dir,
)
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.transcribe import Segment, TranscriptionInfo


class SpeechEngine(Protocol):
    """What :class:`~desktop_app.asr.transcribe.WhisperOnnx` and
    :class:`~desktop_app.asr.ctc.CtcOnnx` both offer."""

    @property
    def device(self) -> str: ...

    @property
    def device_warning(self) -> str | None: ...

    def detect_language(self, audio: np.ndarray) -> dict[str, float]: ...

    def transcribe(
        self, audio: np.ndarray, options: DecodeOptions | None = None
    ) -> tuple[Iterator[Segment], TranscriptionInfo]: ...


def load_engine(
    model_dir: str | Path,
    device: str = "auto",
    threads: int | None = None,
    quantized: bool = False,
) -> SpeechEngine:
    """The engine for ``model_dir``: :class:`CtcOnnx` for a CTC folder, else WhisperOnnx."""
    model_dir = Path(model_dir)
    if is_ctc_dir(model_dir):
        from desktop_app.asr.ctc.engine import CtcOnnx

        return CtcOnnx(model_dir, device=device, threads=threads, quantized=quantized)
    from desktop_app.asr.transcribe import WhisperOnnx

    return WhisperOnnx(model_dir, device=device, threads=threads, quantized=quantized)


def has_int8(model_dir: Path) -> bool:
    """Whether the folder has its int8 variant (Whisper: encoder and decoder)."""
    if is_ctc_dir(model_dir):
        return (model_dir / CTC_INT8_FILE).is_file()
    return all((model_dir / name).is_file() for name in (ENCODER_INT8_FILE, DECODER_INT8_FILE))


def has_word_timings(model_dir: Path) -> bool:
    """Whether words get aligned times (CTC: always; Whisper: with its aligner graph)."""
    return is_ctc_dir(model_dir) or (model_dir / ALIGN_FILE).is_file()
