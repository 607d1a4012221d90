"""Clips and labels for Whisper: log-mel features, token labels, batches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch
from tokenizers import Tokenizer

from desktop_app.core.errors import JazbaError

SAMPLE_RATE = 16_000
IGNORE = -100
TIME_STEP = 0.02


@dataclass(frozen=True)
class Item:
    audio: Path
    text: str
    key: str
    speaker: str | None = None
    synthetic: bool = False  # a text-bootstrap clip (capped per epoch, never dev/test)


def read_items(manifest: str | Path, split: str) -> list[Item]:
    path = Path(manifest)
    if not path.is_file():
        raise JazbaError(f"The training data '{path}' does not exist.")
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("split") == split:
            items.append(
                Item(
                    path.parent / row["audio"],
                    row["text"],
                    row["key"],
                    row.get("speaker"),
                    row.get("status") == "synthetic",
                )
            )
    return items


class LabelMaker:
    """Token ids for a text: ``<|sot|><|lang|><|transcribe|><|notimestamps|> text <|eot|>``.

    Built from ``tokenizer.json`` and ``generation_config.json`` so any Whisper
    folder works, whatever tokenizer config it ships.
    """

    def __init__(self, model_dir: str | Path, language: str, max_tokens: int = 200) -> None:
        folder = Path(model_dir)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.vocab_size = int(config["vocab_size"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        gen = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
        lang_to_id = gen.get("lang_to_id") or {}
        lang_token = f"<|{language}|>"
        if lang_token not in lang_to_id:
            raise JazbaError(f"The base model does not know the language '{language}'.")
        self.sot = int(gen["decoder_start_token_id"])
        self.eot = int(gen["eos_token_id"])
        self.prefix = [
            self.sot,
            int(lang_to_id[lang_token]),
            int((gen.get("task_to_id") or {})["transcribe"]),
            int(gen["no_timestamps_token_id"]),
        ]
        self.max_tokens = max_tokens
        self.timestamp_begin = self.prefix[3] + 1  # <|0.00|> follows <|notimestamps|>

    def timestamp(self, seconds: float) -> int | None:
        """The ``<|t|>`` token for ``seconds`` (20 ms steps), None if the vocabulary lacks it."""
        token = self.timestamp_begin + round(min(seconds, 30.0) / TIME_STEP)
        return token if token < self.vocab_size else None

    def labels(self, text: str, duration: float | None = None) -> list[int]:
        """With ``duration``: ``<|0.00|> text <|duration|>`` instead of ``<|notimestamps|>``.

        Training on some clips with timestamps keeps the model able to segment
        long recordings, which the app's transcription relies on.
        """
        ids = self.tokenizer.encode(" " + text.strip(), add_special_tokens=False).ids
        ids = ids[: self.max_tokens]
        end = self.timestamp(duration) if duration is not None else None
        if end is not None:
            return [*self.prefix[:3], self.timestamp_begin, *ids, end, self.eot]
        return [*self.prefix, *ids, self.eot]

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode([i for i in ids if i < self.eot]).strip()


class ClipDataset(torch.utils.data.Dataset):
    """Features are computed once per clip and kept (80×3000 floats, ~1 MB each)."""

    def __init__(
        self,
        items: list[Item],
        feature_extractor: Any,
        labels: LabelMaker,
        timestamp_fraction: float = 0.0,
    ) -> None:
        self.items = items
        self.fe = feature_extractor
        self.labels = labels
        self.timestamp_fraction = timestamp_fraction
        self._features: dict[int, torch.Tensor] = {}
        self._durations: dict[int, float] = {}

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def label_lengths(self) -> list[int]:
        """Tokens in each item's labels (without timestamps): for grouping by length."""
        return [len(self.labels.labels(it.text)) for it in self.items]

    def features(self, index: int) -> torch.Tensor:
        if index not in self._features:
            item = self.items[index]
            try:
                audio, sr = sf.read(item.audio, dtype="float32", always_2d=False)
            except (sf.LibsndfileError, OSError) as exc:
                raise JazbaError(
                    f"Cannot read the training clip '{item.audio.name}': {exc}"
                ) from exc
            if sr != SAMPLE_RATE or np.ndim(audio) != 1:
                raise JazbaError(f"'{item.audio.name}' is not 16 kHz mono audio.")
            self._durations[index] = len(audio) / SAMPLE_RATE
            # Log-mel features stay fp32 even when called under bf16 autocast (dev decoding).
            with torch.autocast("cpu", enabled=False):
                feats = self.fe(audio, sampling_rate=SAMPLE_RATE, return_tensors="np")
            feats = feats.input_features
            self._features[index] = torch.from_numpy(np.asarray(feats[0], np.float32))
        return self._features[index]

    def with_timestamps(self, index: int) -> bool:
        """A fixed share of the clips is trained with timestamps (chosen by index)."""
        return (index * 2654435761 % 1000) / 1000 < self.timestamp_fraction

    def __getitem__(self, index: int) -> dict[str, Any]:
        features = self.features(index)
        duration = self._durations[index] if self.with_timestamps(index) else None
        return {
            "index": index,
            "input_features": features,
            "labels": self.labels.labels(self.items[index].text, duration),
        }


def _synthetic_cap(items: list[Item], share: float) -> tuple[list[int], list[int], int]:
    real = [i for i, it in enumerate(items) if not it.synthetic]
    synthetic = [i for i, it in enumerate(items) if it.synthetic]
    if not real or share >= 1:
        return real, synthetic, len(synthetic)
    return real, synthetic, min(len(synthetic), int(share / (1 - share) * len(real)))


def epoch_size(items: list[Item], share: float) -> int:
    """Clips in one epoch: every real clip and the capped synthetic ones (:func:`epoch_order`)."""
    real, _synthetic, cap = _synthetic_cap(items, share)
    return len(real) + cap


def epoch_order(items: list[Item], share: float, rng: np.random.Generator) -> list[int]:
    """One epoch's clips, shuffled: every real clip, and synthetic clips up to ``share``.

    Real speech dominates: with real clips present, synthetic ones make at
    most ``share`` of the epoch (a fresh random subset each epoch, so over
    several epochs all are heard); with none, the epoch is all synthetic.
    Without synthetic clips this is the plain permutation it always was.
    """
    real, synthetic, cap = _synthetic_cap(items, share)
    if not synthetic:
        return rng.permutation(len(items)).tolist()
    chosen = [synthetic[i] for i in rng.permutation(len(synthetic))[:cap]]
    pool = real + chosen
    return [pool[i] for i in rng.permutation(len(pool))]


def length_grouped_batches(
    indices: list[int], lengths: list[int], size: int, rng: np.random.Generator, group: int = 16
) -> list[list[int]]:
    """Batches of ``size`` from ``indices`` (already shuffled) with little padding.

    Every run of ``group`` batches' worth of indices is sorted by label length
    and cut into batches, and the batches are then shuffled: each batch holds
    clips of about one length, so few padded positions go through the decoder
    and its 51 865-way output layer (a mixed batch of sentences and long clips
    is half padding), while which clips meet in a batch still changes every
    epoch. A short last batch, if any, comes last. Deterministic for a given
    ``rng`` state, so a resumed run sees the same batches.
    """
    chunk = size * group
    batches: list[list[int]] = []
    for start in range(0, len(indices), chunk):
        part = sorted(indices[start : start + chunk], key=lambda i: -lengths[i])
        batches += [part[i : i + size] for i in range(0, len(part), size)]
    short = [b for b in batches if len(b) < size]
    full = [b for b in batches if len(b) == size]
    return [full[i] for i in rng.permutation(len(full))] + short


def collate(batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Stack features; pad labels with -100; decoder inputs are labels shifted right.

    The forced prefix (language, task, no-timestamps or the first timestamp)
    is fed to the decoder but not scored: the runtime forces it.
    """
    width = max(len(b["labels"]) for b in batch) - 1
    dec = torch.full((len(batch), width), 0, dtype=torch.long)
    lab = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    for i, b in enumerate(batch):
        ids = b["labels"]
        dec[i, : len(ids) - 1] = torch.tensor(ids[:-1])
        lab[i, : len(ids) - 1] = torch.tensor(ids[1:])
        lab[i, :3] = IGNORE  # language, task, no-timestamps
        dec[i, len(ids) - 1 :] = ids[-1]  # pad with eot (masked out anyway)
    return {
        "index": torch.tensor([b["index"] for b in batch]),
        "input_features": torch.stack([b["input_features"] for b in batch]),
        "decoder_input_ids": dec,
        "labels": lab,
    }
