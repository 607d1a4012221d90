"""Writing 16 kHz mono WAV audio for datasets: whole recordings or one clip per segment.

The source is the recording's model audio (``cache/*.16k.flac``), the exact
samples the ASR model hears, read span by span with
:func:`~desktop_app.core.audio.importer.load_model_audio`.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_app.core.audio._storage import storage_errors
from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.audio.resample import MODEL_RATE
from desktop_app.core.errors import AudioImportError, InteropError
from desktop_app.core.interop.model import ExportRecording

SUBTYPE = "PCM_16"


class ClipReader:
    """Reads spans of one recording's model audio (the whole file once, if short)."""

    WHOLE_FILE_LIMIT_S = 20 * 60

    def __init__(self, rec: ExportRecording) -> None:
        self.rec = rec
        self._all: np.ndarray | None = None

    def read(self, start_ms: int, end_ms: int) -> np.ndarray:
        try:
            if self.rec.duration_ms <= self.WHOLE_FILE_LIMIT_S * 1000:
                if self._all is None:
                    self._all = load_model_audio(self.rec.model_audio_path)
                first = start_ms * MODEL_RATE // 1000
                last = end_ms * MODEL_RATE // 1000
                return self._all[first:last]
            return load_model_audio(self.rec.model_audio_path, start_ms / 1000, end_ms / 1000)
        except AudioImportError as exc:
            raise InteropError(
                f"Cannot read the audio of '{self.rec.title}': {exc.reason}. "
                "Re-import the recording, or export without audio."
            ) from exc

    def whole(self) -> np.ndarray:
        return self.read(0, self.rec.duration_ms)


def write_wav(path: Path, samples: np.ndarray) -> None:
    """``samples`` (16 kHz mono float) as a 16-bit WAV at ``path`` (created new)."""
    with storage_errors(path.parent, f"'{path.name}'"):
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, samples, MODEL_RATE, subtype=SUBTYPE, format="WAV")


def wav_bytes(samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, MODEL_RATE, subtype=SUBTYPE, format="WAV")
    return buf.getvalue()
