"""Clips and labels for a CTC model (wav2vec2, XLS-R, MMS, ...): characters, raw audio.

The labels are the model's own characters (its ``vocab.json``): the text is
normalised as Jazba scores it (:func:`~desktop_app.core.learning.normalize.normalize_kk`:
lowercase, punctuation dropped, numbers spelled out in Kazakh), spaces
become the word delimiter ``|``, and a character the vocabulary lacks is
dropped and counted, so the user learns what the model cannot write.
The audio goes through the checkpoint's feature extractor (zero mean, unit
variance per clip when ``do_normalize``), as the ONNX engine does it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import soundfile as sf
import torch

from desktop_app.asr.ctc.decoding import collapse
from desktop_app.asr.ctc.vocab import SPECIAL_TOKENS
from desktop_app.core.errors import JazbaError
from desktop_app.core.learning.normalize import normalize_kk
from desktop_app.training.data import IGNORE, SAMPLE_RATE, Item


class CtcLabels:
    """Text -> label ids of a CTC vocabulary, and back; counts what it had to skip."""

    def __init__(self, vocab: Mapping[str, int], blank: int, delimiter: str = "|") -> None:
        self.blank = blank
        self.delimiter = delimiter if delimiter in vocab else " "
        self.delimiter_id = vocab.get(self.delimiter)
        self.chars = {
            t: i
            for t, i in vocab.items()
            if len(t) == 1 and i != blank and t != self.delimiter and t not in SPECIAL_TOKENS
        }
        self.tokens = {i: t for t, i in self.chars.items()}
        letters = [t for t in self.chars if t.isalpha()]
        # English wav2vec2 checkpoints spell in capitals.
        self.upper = sum(t.isupper() for t in letters) > sum(t.islower() for t in letters)
        self.skipped: Counter[str] = Counter()

    def normalize(self, text: str) -> str:
        norm = normalize_kk(text)
        return norm.upper() if self.upper else norm

    def labels(self, text: str, count: bool = True) -> list[int]:
        """Ids for ``text``; with ``count`` the characters left out go into :attr:`skipped`."""
        ids: list[int] = []
        for word in self.normalize(text).split():
            if ids and self.delimiter_id is not None:
                ids.append(self.delimiter_id)
            for ch in word:
                label = self.chars.get(ch)
                if label is None:
                    if count:
                        self.skipped[ch] += 1
                else:
                    ids.append(label)
        return ids

    def decode(self, labels: Sequence[int]) -> str:
        """Text of a collapsed label sequence (blanks and repeats already removed)."""
        text = "".join(" " if i == self.delimiter_id else self.tokens.get(i, "") for i in labels)
        return " ".join(text.split())

    def skipped_summary(self, limit: int = 8) -> str | None:
        """E.g. ``12 characters not in the model's alphabet were skipped: ғ×3, …``."""
        total = sum(self.skipped.values())
        if not total:
            return None
        common = self.skipped.most_common()
        shown = ", ".join(f"{ch}×{n}" for ch, n in common[:limit])
        more = " …" if len(common) > limit else ""
        what = "character" if total == 1 else "characters"
        verb = "was" if total == 1 else "were"
        return f"{total} {what} not in the model's alphabet {verb} skipped: {shown}{more}"


def read_clip(item: Item) -> np.ndarray:
    try:
        audio, sr = sf.read(item.audio, dtype="float32", always_2d=False)
    except (sf.LibsndfileError, OSError) as exc:
        raise JazbaError(f"Cannot read the training clip '{item.audio.name}': {exc}") from exc
    if sr != SAMPLE_RATE or np.ndim(audio) != 1:
        raise JazbaError(f"'{item.audio.name}' is not 16 kHz mono audio.")
    return audio


class CtcClipDataset(torch.utils.data.Dataset):
    """Normalised audio and character labels; the audio is read again each time (cheap)."""

    def __init__(self, items: list[Item], feature_extractor: Any, labels: CtcLabels) -> None:
        self.items = items
        self.fe = feature_extractor
        self.label_ids = [labels.labels(it.text) for it in items]

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def label_lengths(self) -> list[int]:
        """What batches are grouped by (named as ClipDataset's): samples, which a batch pads."""
        return [sf.info(str(it.audio)).frames for it in self.items]

    def input_values(self, index: int) -> np.ndarray:
        audio = read_clip(self.items[index])
        with torch.autocast("cpu", enabled=False):
            out = self.fe(audio, sampling_rate=SAMPLE_RATE, return_tensors="np")
        if "input_values" not in out:  # e.g. wav2vec2-bert, which takes log-mel features
            raise JazbaError("Jazba cannot fine-tune this CTC model: it does not take raw audio.")
        return np.asarray(out["input_values"][0], np.float32)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {
            "index": index,
            "input_values": self.input_values(index),
            "labels": self.label_ids[index],
        }


def collate_ctc(batch: list[dict[str, Any]], padding_value: float = 0.0) -> dict[str, torch.Tensor]:
    """Pad the audio (``attention_mask`` marks it) and the labels (with -100)."""
    width = max(len(b["input_values"]) for b in batch)
    label_width = max(1, max(len(b["labels"]) for b in batch))
    values = torch.full((len(batch), width), padding_value, dtype=torch.float32)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), label_width), IGNORE, dtype=torch.long)
    for i, b in enumerate(batch):
        n = len(b["input_values"])
        values[i, :n] = torch.from_numpy(b["input_values"])
        mask[i, :n] = 1
        labels[i, : len(b["labels"])] = torch.tensor(b["labels"], dtype=torch.long)
    return {
        "index": torch.tensor([b["index"] for b in batch]),
        "input_values": values,
        "attention_mask": mask,
        "labels": labels,
    }


def greedy_texts(logits: torch.Tensor, frames: Sequence[int], labels: CtcLabels) -> list[str]:
    """Best-path texts of a batch of logits; ``frames``: the valid frames of each row."""
    best = logits.argmax(-1).cpu().numpy()
    return [
        labels.decode(collapse(row[:n], labels.blank)) for row, n in zip(best, frames, strict=True)
    ]
