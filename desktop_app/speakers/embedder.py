"""Speaker embeddings of short windows of audio on ONNX Runtime.

One class for every installed speaker model: the model's ``frontend`` says
which features it takes (GE2E's 40 power-mel bands, or 80 Kaldi log-mel
bands mean-normalised over each window for WeSpeaker-style models), and its
manifest names the graph's input and output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.asr.ort_session import choose_device, load_session, make_session_options
from desktop_app.speakers.fbank import FbankOptions, fbank_cmn
from desktop_app.speakers.mel import HOP, SAMPLE_RATE, mel_range
from desktop_app.speakers.models import GE2E_FRONTEND, SpeakerModel

BATCH = 32


@dataclass(frozen=True)
class Window:
    """A stretch of audio to embed, in samples (``end`` exclusive)."""

    start: int
    end: int

    @property
    def mid_s(self) -> float:
        return (self.start + self.end) / 2 / SAMPLE_RATE


class SpeakerEmbedder:
    """One ONNX session; :meth:`embed` gives one L2-normed row per window."""

    def __init__(self, model: SpeakerModel, threads: int | None = None) -> None:
        self.model = model
        session, _ = load_session(model.path, make_session_options(threads), choose_device("cpu"))
        self.session = session

    @property
    def dim(self) -> int:
        return self.model.embedding_dim

    def embed(self, audio: np.ndarray, windows: list[Window]) -> np.ndarray:
        """(len(windows), dim) float32 embeddings of ``windows`` of 16 kHz ``audio``."""
        if self.model.frontend == GE2E_FRONTEND:
            return self._embed_ge2e(audio, windows)
        return self._embed_fbank(audio, windows)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        out = self.session.run([self.model.output], {self.model.input: batch})[0]
        out = np.asarray(out, dtype=np.float32).reshape(batch.shape[0], -1)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def _embed_fbank(self, audio: np.ndarray, windows: list[Window]) -> np.ndarray:
        """Kaldi fbank of each window on its own, its mean over time subtracted (as
        WeSpeaker extracts per segment); windows of the same length run in batches."""
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        opts = FbankOptions(**self.model.frontend_options)
        by_len: dict[int, list[int]] = {}
        for i, w in enumerate(windows):
            by_len.setdefault(max(0, min(w.end, audio.shape[0]) - w.start), []).append(i)
        for length, idx in by_len.items():
            for k in range(0, len(idx), BATCH):
                chunk = idx[k : k + BATCH]
                feats = [
                    fbank_cmn(audio[windows[i].start : windows[i].start + length], opts)
                    for i in chunk
                ]
                if feats[0].shape[0] == 0:  # shorter than one frame: nothing to hear
                    continue
                out[chunk] = self._run(np.stack(feats))
        return out

    def _embed_ge2e(self, audio: np.ndarray, windows: list[Window]) -> np.ndarray:
        """GE2E: each window's mel frames are computed on their own (the same values as
        over the whole audio, without holding a whole recording's spectrogram);
        windows of the same length run in batches.
        """
        if not windows:
            return np.zeros((0, self.dim), dtype=np.float32)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        last = audio.shape[0] // HOP  # the last frame of mel_frames(audio)
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        spans = []
        for i, w in enumerate(windows):
            a = min(w.start // HOP, last)
            b = max(a + 1, min(last + 1, w.end // HOP))
            spans.append((a, b))
            by_len.setdefault(b - a, []).append(i)
        for length, idx in by_len.items():
            for k in range(0, len(idx), BATCH):
                chunk = idx[k : k + BATCH]
                batch = np.stack(
                    [mel_range(audio, spans[i][0], spans[i][0] + length) for i in chunk]
                )
                out[chunk] = self.session.run([self.model.output], {self.model.input: batch})[0]
        return out
