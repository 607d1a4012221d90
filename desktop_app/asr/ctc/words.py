"""From a CTC frame path to timed, scored words.

A frame path (one label per frame, see :mod:`desktop_app.asr.ctc.decoding`)
is cut into *emissions*: runs of one label, separated by blanks or by a
different label. Emissions of the word delimiter (``|``) end words. A word
spans its first emitting frame to the end of its last one (a frame is
``frame_stride`` samples: 20 ms for wav2vec2); its probability is the mean
posterior of its label over its emitting frames. A silence longer than
:data:`MAX_GAP_S` ends a word too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop_app.asr.ctc.vocab import CtcConfig

#: Blank frames within a word are short (tens of ms); a longer silence ends the word.
MAX_GAP_S = 0.5


@dataclass(frozen=True)
class Emission:
    """One label of the path: its frames ``first..last`` (inclusive) and posteriors."""

    label: int
    first: int
    last: int
    logprobs: tuple[float, ...]  # of ``label`` at each of its frames

    @property
    def peak_logprob(self) -> float:
        return max(self.logprobs)


@dataclass(frozen=True)
class TimedWord:
    """A word with times in seconds from the start of the decoded window."""

    text: str
    start: float
    end: float
    probability: float
    labels: tuple[int, ...]
    logprobs: tuple[float, ...]  # peak log-probability of each label


def emissions(path: Sequence[int] | np.ndarray, logprobs: np.ndarray, blank: int) -> list[Emission]:
    """The runs of non-blank labels in ``path`` (a repeated label needs a blank between)."""
    labels = np.asarray(path).tolist()
    out: list[Emission] = []
    t = 0
    while t < len(labels):
        label = labels[t]
        end = t
        while end + 1 < len(labels) and labels[end + 1] == label:
            end += 1
        if label != blank:
            lps = tuple(float(x) for x in logprobs[t : end + 1, label])
            out.append(Emission(int(label), t, end, lps))
        t = end + 1
    return out


def timed_words(
    path: Sequence[int] | np.ndarray,
    logprobs: np.ndarray,
    config: CtcConfig,
    max_gap_s: float = MAX_GAP_S,
) -> list[TimedWord]:
    """The words ``path`` spells, with aligned times and confidences.

    A word also ends where more than ``max_gap_s`` of blanks follow a label:
    models do not always write the delimiter before a pause.
    """
    max_gap = max_gap_s / config.frame_seconds
    silent = config.silent_ids
    words: list[TimedWord] = []
    current: list[Emission] = []

    def close() -> None:
        spoken = [e for e in current if e.label not in silent]
        if spoken:
            frames = [lp for e in spoken for lp in e.logprobs]
            words.append(
                TimedWord(
                    text="".join(config.tokens[e.label] for e in spoken),
                    start=round(spoken[0].first * config.frame_seconds, 3),
                    end=round((spoken[-1].last + 1) * config.frame_seconds, 3),
                    probability=float(np.mean(np.exp(frames))),
                    labels=tuple(e.label for e in spoken),
                    logprobs=tuple(e.peak_logprob for e in spoken),
                )
            )
        current.clear()

    for emission in emissions(path, logprobs, config.blank_id):
        if emission.label == config.word_delimiter_id or config.tokens[emission.label] == " ":
            close()
            continue
        if current and emission.first - current[-1].last - 1 > max_gap:
            close()
        current.append(emission)
    close()
    return words


def split_at_pauses(words: Sequence[TimedWord], max_pause: float) -> list[list[TimedWord]]:
    """Group consecutive words; a silence longer than ``max_pause`` seconds starts a new group."""
    groups: list[list[TimedWord]] = []
    for word in words:
        if groups and word.start - groups[-1][-1].end <= max_pause:
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups
