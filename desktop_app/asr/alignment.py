"""Word timings from cross-attention: Whisper's alignment heads + dynamic time warping.

A model exported by Jazba has ``decoder_align.onnx`` (see
:mod:`desktop_app.modelbuild.align_export`): given the encoder output and a
token sequence it returns the cross-attention weights of the model's
alignment heads, ``(heads, tokens, frames)``. As in OpenAI Whisper
(``whisper/timing.py``), for one window:

1. the sequence is ``<|startoftranscript|> <|lang|> <|transcribe|>
   <|notimestamps|> text tokens <|endoftext|>``;
2. the weights are cut to the frames that hold audio and renormalised (the
   same as a softmax over those frames only), standardised over tokens per
   frame, median-filtered along time (width 7) and averaged over heads;
3. DTW finds the monotonic path through ``-weights`` (rows: the
   ``<|notimestamps|>`` position and each text token, i.e. the positions that
   *predict* each text token and the end; columns: 20 ms frames);
4. a token starts at the frame where the path enters its row; a word starts
   with its first token and ends where the next word starts.

Then Whisper's clean-up (words longer than twice the median word, at most
0.7 s, are shortened at sentence ends) and one of ours: DTW gives a pause
before a word to that word (the path leaves a row only when the next token
takes over), so word edges that lie in clear silence of the waveform are
moved to where the sound starts or stops (:func:`snap_to_sound`). Only numpy
and onnxruntime are used.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.asr.manifest import ALIGN_FILE
from desktop_app.asr.ort_session import (
    WhisperSessions,
    load_session,
    make_session_options,
    to_numpy,
)
from desktop_app.asr.tokenizer import TIME_PRECISION
from desktop_app.core.errors import ModelError

MEDFILT_WIDTH = 7
SENTENCE_END = frozenset(".。!！?？")


def median_filter(x: np.ndarray, width: int) -> np.ndarray:
    """Median over a sliding window of ``width`` (odd) along the last axis; reflect padding."""
    pad = width // 2
    if x.shape[-1] <= pad:
        return x
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1)
    return np.partition(windows, pad, axis=-1)[..., pad]


def dtw(cost_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monotonic alignment of rows to columns minimising the summed cost.

    The recurrence of Whisper's ``dtw_cpu``: each cell adds its cost to the
    cheapest of its diagonal, upper and left neighbours. Each row is computed
    at once with a running minimum over prefix sums (the left-neighbour chain
    is a min-plus scan), so the loop is over rows, not cells. Returns the
    path's ``(row_indices, column_indices)``, from ``(0, 0)`` to the last cell.
    """
    x = np.asarray(cost_matrix, dtype=np.float64)
    n, m = x.shape
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0.0
    trace = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 diagonal, 1 up, 2 left
    for i in range(1, n + 1):
        diag, up = cost[i - 1, :-1], cost[i - 1, 1:]
        trace[i, 1:] = np.where(diag <= up, 0, 1)
        a = x[i - 1] + np.minimum(diag, up)  # arriving from the row above
        prefix = np.concatenate(([0.0], np.cumsum(x[i - 1])))  # prefix[j] = sum x[i-1, :j]
        with np.errstate(invalid="ignore"):
            best = np.minimum.accumulate(a - prefix[1:])
        row = best + prefix[1:]
        left = np.concatenate(([np.inf], row[:-1])) + x[i - 1]
        trace[i, 1:] = np.where(left < a, 2, trace[i, 1:])
        cost[i, 1:] = np.minimum(a, left)
    trace[0, :] = 2
    trace[:, 0] = 1
    i, j = n, m
    path = []
    while i > 0 or j > 0:
        path.append((i - 1, j - 1))
        step = trace[i, j]
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    rows, cols = np.array(path[::-1]).T
    return rows, cols


def attention_matrix(weights: np.ndarray, n_frames: int, width: int = MEDFILT_WIDTH) -> np.ndarray:
    """``(heads, tokens, frames)`` weights -> the ``(tokens, n_frames)`` matrix DTW runs on."""
    w = np.asarray(weights, dtype=np.float32)[:, :, :n_frames]
    w = w / np.maximum(w.sum(axis=-1, keepdims=True), 1e-10)
    mean = w.mean(axis=-2, keepdims=True)
    std = w.std(axis=-2, keepdims=True)
    w = (w - mean) / np.maximum(std, 1e-10)
    return median_filter(w, width).mean(axis=0)


def token_start_times(matrix: np.ndarray) -> np.ndarray:
    """Seconds (window-relative) at which each row of ``matrix`` starts on the DTW path."""
    rows, cols = dtw(-matrix)
    jumps = np.concatenate(([True], np.diff(rows) > 0))
    return cols[jumps] * TIME_PRECISION


def word_spans(matrix: np.ndarray, word_lengths: Sequence[int]) -> list[tuple[float, float]]:
    """Window-relative ``(start, end)`` per word.

    ``matrix`` has the rows of ``<|notimestamps|>`` and of each text token.
    """
    starts = token_start_times(matrix)  # one per row: len(text tokens) + 1
    bounds = np.concatenate(([0], np.cumsum(word_lengths)))
    return [
        (float(starts[bounds[k]]), float(starts[bounds[k + 1]])) for k in range(len(word_lengths))
    ]


def tidy_spans(words: Sequence[str], spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Whisper's clean-up: no word longer than twice the median at sentence ends."""
    durations = np.array([e - s for s, e in spans])
    positive = durations[durations > 0]
    median = float(np.median(positive)) if positive.size else 0.0
    max_duration = 2 * min(0.7, median)
    if max_duration <= 0:
        return list(spans)
    out = list(spans)
    for k in range(1, len(out)):
        start, end = out[k]
        if end - start <= max_duration:
            continue
        if words[k].strip()[-1:] in SENTENCE_END:
            out[k] = (start, start + max_duration)
        elif words[k - 1].strip()[-1:] in SENTENCE_END:
            out[k] = (end - max_duration, end)
    return out


def _silent_runs(silent: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` index ranges of the true runs of ``silent``."""
    edges = np.diff(np.concatenate(([0], silent.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()
    return list(zip(starts, ends, strict=True))


def snap_to_sound(
    spans: list[tuple[float, float]],
    audio: np.ndarray,
    sample_rate: int = 16_000,
    silence_db: float = -30.0,
    min_pause_s: float = 0.1,
    slack_s: float = 0.25,
) -> list[tuple[float, float]]:
    """Cut the pause off a word's start or end when the waveform shows one.

    ``audio`` is the window the (window-relative) ``spans`` refer to. A 10 ms
    frame is silent when its RMS is ``silence_db`` below the window's loud
    level (95th percentile). A silent run of at least ``min_pause_s`` that
    begins within ``slack_s`` of a word's start (the tail of the previous word
    may come first) moves the start to its end, if sound follows; the mirror
    rule moves the end. Words in continuous speech are left alone.
    """
    hop = sample_rate // 100
    n = audio.shape[0] // hop
    if n == 0 or not spans:
        return list(spans)
    frames = audio[: n * hop].reshape(n, hop).astype(np.float64)
    rms = np.sqrt(np.mean(np.square(frames), axis=1))
    level = float(np.percentile(rms, 95))
    if level <= 0:
        return list(spans)
    silent = rms <= level * 10 ** (silence_db / 20)
    min_run, slack = max(1, round(min_pause_s * 100)), round(slack_s * 100)
    out = []
    for start, end in spans:
        a, b = round(start * 100), min(n, round(end * 100))
        runs = [(r0, r1) for r0, r1 in _silent_runs(silent[a:b]) if r1 - r0 >= min_run]
        lead = [r for r in runs if r[0] <= slack and r[1] < b - a]
        if lead:
            start = (a + lead[0][1]) / 100
        trail = [r for r in runs if r[1] >= b - a - slack and r[0] > 0 and a + r[0] > start * 100]
        if trail:
            end = (a + trail[-1][0]) / 100
        out.append((start, end))
    return out


class CrossAttentionAligner:
    """Aligns a window's words to its audio with ``decoder_align.onnx``.

    The session is opened on first use, with the same device and threads as
    the model's other sessions. Call it with the encoder output of the
    window, the prompt (``sot_sequence`` without timestamps), the words' tokens
    and the window's length in mel frames; it returns window-relative
    ``(start, end)`` seconds per word.
    """

    def __init__(self, path: str | Path, sessions: WhisperSessions) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"The model file '{self.path.name}' is missing in {self.path.parent}.")
        self._sessions = sessions
        self._session: Any = None

    @classmethod
    def from_model_dir(
        cls, model_dir: Path, sessions: WhisperSessions
    ) -> CrossAttentionAligner | None:
        """The aligner of a model folder, or ``None`` for a folder exported without one."""
        path = Path(model_dir) / ALIGN_FILE
        return cls(path, sessions) if path.is_file() else None

    def _open(self) -> Any:
        if self._session is None:
            options = make_session_options(self._sessions.threads)
            self._session, _ = load_session(self.path, options, self._sessions.choice)
            names = {arg.name for arg in self._session.get_inputs()}
            if names != {"input_ids", "encoder_hidden_states"}:
                raise ModelError(f"'{self.path.name}' is not a Jazba word-alignment graph.")
        return self._session

    def weights(self, encoder_output: Any, tokens: Sequence[int]) -> np.ndarray:
        """Raw ``(heads, tokens, frames)`` cross-attention weights."""
        session = self._open()
        hidden = to_numpy(encoder_output)
        ids = np.asarray(tokens, dtype=np.int64).reshape(1, -1)
        (weights,) = session.run(None, {"input_ids": ids, "encoder_hidden_states": hidden})
        return weights

    def __call__(
        self,
        *,
        encoder_output: Any,
        sot_sequence: Sequence[int],
        no_timestamps: int,
        eot: int,
        word_tokens: Sequence[Sequence[int]],
        num_frames: int,
    ) -> list[tuple[float, float]] | None:
        text = [t for toks in word_tokens for t in toks]
        if not text:
            return None
        tokens = [*sot_sequence, no_timestamps, *text, eot]
        weights = self.weights(encoder_output, tokens)
        n_frames = max(1, min(weights.shape[-1], num_frames // 2))
        matrix = attention_matrix(weights, n_frames)[len(sot_sequence) : -1]
        return word_spans(matrix, [len(t) for t in word_tokens])
