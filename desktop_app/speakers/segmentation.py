"""Speech and overlapped speech from a powerset segmentation model (pyannote 3.0 style).

The model reads 10 s of 16 kHz audio (``[batch, 1, samples]``) and gives, for
each of its frames (every 270 samples, 16.9 ms, for pyannote
segmentation-3.0), log-probabilities over the *powerset* classes of three
local speakers with at most two at once: ``{}, {1}, {2}, {3}, {1,2}, {1,3},
{2,3}``. Local speakers are numbered afresh in every window, so windows are
not compared by speaker here: speech (any class but ``{}``) and overlap (a
two-speaker class) are permutation-free, and their probabilities are averaged
over the sliding windows (10 s, a 2.5 s step by default) that cover each
frame, windows weighted towards their middle. Hysteresis thresholds and
minimum durations turn them into regions.

Everything but :class:`Segmenter` is numpy on arrays, tested with synthetic
inputs whose answers are known.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from desktop_app.core.jobs import Progress
from desktop_app.speakers.segmentation_model import SegmentationModel

SAMPLE_RATE = 16_000


def powerset_classes(n_speakers: int = 3, max_active: int = 2) -> list[tuple[int, ...]]:
    """The classes in pyannote's order: by size, then lexicographically (``()`` first)."""
    return [
        combo
        for k in range(max_active + 1)
        for combo in itertools.combinations(range(n_speakers), k)
    ]


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities from log-probabilities or logits over the last axis."""
    x = np.asarray(scores, dtype=np.float64)
    x = np.exp(x - x.max(axis=-1, keepdims=True))
    return x / x.sum(axis=-1, keepdims=True)


def local_activity(probs: np.ndarray, classes: list[tuple[int, ...]]) -> np.ndarray:
    """``[..., classes]`` powerset probabilities -> ``[..., speakers]``: the probability
    that each local speaker is active (the sum over the classes holding it)."""
    n = 1 + max((k for c in classes for k in c), default=-1)
    member = np.zeros((len(classes), n))
    for j, combo in enumerate(classes):
        member[j, list(combo)] = 1.0
    return probs @ member


def speech_overlap(
    probs: np.ndarray, classes: list[tuple[int, ...]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: P(anyone speaks) and P(two or more speak) from powerset probabilities."""
    sizes = np.array([len(c) for c in classes])
    return probs[..., sizes >= 1].sum(axis=-1), probs[..., sizes >= 2].sum(axis=-1)


@dataclass(frozen=True)
class SegmentationOptions:
    step_s: float = 2.5  # between window starts
    speech_onset: float = 0.5
    speech_offset: float = 0.35
    overlap_onset: float = 0.5
    overlap_offset: float = 0.35
    min_speech_s: float = 0.2
    min_silence_s: float = 0.25
    min_overlap_s: float = 0.1
    pad_s: float = 0.06  # added to both ends of a speech region (as the VAD does)
    batch: int = 4


@dataclass(frozen=True)
class FrameGrid:
    """Frame ``i`` of a window covers ``[i*step, i*step+size)`` samples from its start."""

    step: int = 270
    size: int = 991

    def centre_s(self, frames: np.ndarray | int, offset: int = 0) -> np.ndarray:
        return (offset + np.asarray(frames) * self.step + self.size / 2) / SAMPLE_RATE


def window_starts(n_samples: int, window: int, step: int) -> list[int]:
    """Window starts covering ``n_samples``; the last one ends at the end (or the
    only window, zero-padded, when the audio is shorter than a window)."""
    if n_samples <= window:
        return [0]
    starts = list(range(0, n_samples - window + 1, step))
    if starts[-1] + window < n_samples:
        starts.append(n_samples - window)
    return starts


def _weights(n_frames: int) -> np.ndarray:
    """Hamming-like weights: a window's edge frames (little context) count less."""
    if n_frames < 3:
        return np.ones(n_frames)
    return 0.08 + 0.92 * np.hanning(n_frames)


@dataclass(frozen=True)
class FrameScores:
    """Frame-level speech and overlap probabilities on a global grid."""

    speech: np.ndarray
    overlap: np.ndarray
    grid: FrameGrid

    @property
    def times(self) -> np.ndarray:
        return self.grid.centre_s(np.arange(self.speech.size))


def aggregate(
    window_scores: list[tuple[int, np.ndarray, np.ndarray]],
    n_samples: int,
    grid: FrameGrid,
) -> FrameScores:
    """Average per-window ``(start_sample, speech[F], overlap[F])`` onto one frame grid
    (frame ``j`` centred where a window starting at 0 has its frame ``j``)."""
    n = max(1, 1 + (n_samples - grid.size) // grid.step) if n_samples >= grid.size else 1
    sums = np.zeros((2, n))
    weight = np.zeros(n)
    for start, speech, overlap in window_scores:
        frames = np.arange(speech.size)
        index = np.rint((start + frames * grid.step) / grid.step).astype(int)
        keep = (index >= 0) & (index < n) & (start + frames * grid.step + grid.size <= n_samples)
        if not keep.any():  # a window over audio shorter than one frame
            keep = index == 0
        w = _weights(speech.size)[keep]
        np.add.at(sums[0], index[keep], w * speech[keep])
        np.add.at(sums[1], index[keep], w * overlap[keep])
        np.add.at(weight, index[keep], w)
    weight = np.maximum(weight, 1e-9)
    return FrameScores(sums[0] / weight, sums[1] / weight, grid)


def hysteresis(probs: np.ndarray, onset: float, offset: float) -> np.ndarray:
    """Active from where ``probs`` rises above ``onset`` until it falls below ``offset``."""
    out = np.zeros(probs.size, dtype=bool)
    on = False
    for i, p in enumerate(probs):
        on = p > onset if not on else p >= offset
        out[i] = on
    return out


def regions(
    active: np.ndarray,
    times: np.ndarray,
    half_frame_s: float,
    min_on_s: float = 0.0,
    min_off_s: float = 0.0,
    pad_s: float = 0.0,
    end_s: float | None = None,
) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` runs of ``active`` frames (centred at ``times``); gaps
    shorter than ``min_off_s`` are filled first, then runs shorter than ``min_on_s``
    dropped, then each run padded by ``pad_s`` (clipped to ``[0, end_s]``)."""
    runs: list[list[float]] = []
    for on, group in itertools.groupby(range(active.size), key=lambda i: bool(active[i])):
        idx = list(group)
        if on:
            runs.append([float(times[idx[0]]) - half_frame_s, float(times[idx[-1]]) + half_frame_s])
    merged: list[list[float]] = []
    for run in runs:
        if merged and run[0] - merged[-1][1] < min_off_s:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    end = float("inf") if end_s is None else end_s
    out: list[tuple[float, float]] = []
    for a, b in merged:
        if b - a < min_on_s:
            continue
        a, b = max(0.0, a - pad_s), min(end, b + pad_s)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


@dataclass(frozen=True)
class SegmentationResult:
    scores: FrameScores
    speech: list[tuple[float, float]]  # seconds
    overlap: list[tuple[float, float]]


def decide(scores: FrameScores, opts: SegmentationOptions, duration_s: float) -> SegmentationResult:
    """Speech and overlap regions from frame probabilities."""
    half = scores.grid.step / SAMPLE_RATE / 2
    times = scores.times
    speech = regions(
        hysteresis(scores.speech, opts.speech_onset, opts.speech_offset),
        times,
        half,
        opts.min_speech_s,
        opts.min_silence_s,
        opts.pad_s,
        duration_s,
    )
    overlap = regions(
        hysteresis(scores.overlap, opts.overlap_onset, opts.overlap_offset),
        times,
        half,
        opts.min_overlap_s,
        opts.min_overlap_s,
        0.0,
        duration_s,
    )
    return SegmentationResult(scores, speech, overlap)


class Segmenter:
    """A segmentation model on ONNX Runtime (CPU), configured explicitly."""

    def __init__(self, model: SegmentationModel, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.model = model
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model.path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.classes = powerset_classes(model.local_speakers, model.max_active)
        self.grid = FrameGrid(model.frame_step, model.frame_size)
        self.batched = True  # until the graph refuses a batch of windows

    def _run(self, batch: np.ndarray) -> np.ndarray:
        feed = batch[:, None, :]
        if self.batched:
            try:
                out = self.session.run([self.model.output], {self.model.input: feed})[0]
            except Exception:  # a graph exported with a fixed batch of 1
                self.batched = False
        if not self.batched:
            out = np.concatenate(
                [
                    self.session.run([self.model.output], {self.model.input: x[None]})[0]
                    for x in feed
                ]
            )
        if out.ndim != 3 or out.shape[-1] != len(self.classes):
            raise ValueError(f"unexpected segmentation output shape {out.shape}")
        return out

    def window_scores(
        self, audio: np.ndarray, opts: SegmentationOptions, state: Progress | None = None
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """``(start_sample, speech[F], overlap[F])`` of each window, lazily."""
        window = self.model.window_samples
        step = max(self.grid.step, round(opts.step_s * SAMPLE_RATE))
        starts = window_starts(audio.size, window, step)
        for i in range(0, len(starts), max(1, opts.batch)):
            if state is not None:
                state.check()
                state.set_progress(i / len(starts), "Finding speech and overlaps")
            chunk = starts[i : i + max(1, opts.batch)]
            batch = np.zeros((len(chunk), window), dtype=np.float32)
            for row, s in enumerate(chunk):
                piece = audio[s : s + window]
                batch[row, : piece.size] = piece
            probs = softmax(self._run(batch))
            speech, overlap = speech_overlap(probs, self.classes)
            yield from zip(chunk, speech, overlap, strict=True)

    def segment(
        self,
        audio: np.ndarray,
        opts: SegmentationOptions | None = None,
        state: Progress | None = None,
    ) -> SegmentationResult:
        opts = opts or SegmentationOptions()
        scores = aggregate(list(self.window_scores(audio, opts, state)), audio.size, self.grid)
        return decide(scores, opts, audio.size / SAMPLE_RATE)
