"""What a CTC model folder says about its outputs: vocabulary, blank, frames, language.

Read from the Hugging Face files the export keeps (``config.json``,
``preprocessor_config.json``, ``vocab.json``, ``tokenizer_config.json``) and
Jazba's own ``ctc_config.json`` (the language; written by
:mod:`desktop_app.modelbuild.export_ctc`), which a folder exported elsewhere
may lack.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.asr.manifest import CTC_CONFIG_FILE
from desktop_app.core.errors import ModelError

SAMPLE_RATE = 16_000
#: ISO 639-3 codes of MMS adapters -> the ISO 639-1 codes Jazba stores (segments, manifests).
ISO3_TO_ISO1 = {
    "kaz": "kk",
    "rus": "ru",
    "eng": "en",
    "uzb": "uz",
    "kir": "ky",
    "tat": "tt",
    "bak": "ba",
    "tur": "tr",
    "ukr": "uk",
    "deu": "de",
    "fra": "fr",
}
#: Tokens that never reach the text (besides the blank and the word delimiter).
SPECIAL_TOKENS = ("<s>", "</s>", "<unk>", "<pad>", "[PAD]", "[UNK]")


def language_code(code: str | None) -> str | None:
    """``kaz`` -> ``kk``; two-letter codes and unknown ones are kept."""
    if not code:
        return None
    return ISO3_TO_ISO1.get(code.lower(), code.lower())


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read '{path.name}': {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"'{path.name}' is not a JSON object.")
    return data


@dataclass(frozen=True)
class CtcConfig:
    """The facts the engine needs about a CTC model folder.

    ``tokens[i]`` is the text of output ``i``; ``frame_stride`` is how many
    samples one output frame advances (the product of the convolution
    strides: 320 = 20 ms for wav2vec2).
    """

    tokens: tuple[str, ...]
    blank_id: int
    word_delimiter_id: int | None
    frame_stride: int = 320
    sample_rate: int = SAMPLE_RATE
    do_normalize: bool = True
    language: str | None = None

    @property
    def frame_seconds(self) -> float:
        return self.frame_stride / self.sample_rate

    @property
    def silent_ids(self) -> frozenset[int]:
        """Outputs that write nothing: the blank and special tokens (not the delimiter)."""
        return frozenset(
            i for i, t in enumerate(self.tokens) if i == self.blank_id or t in SPECIAL_TOKENS
        )

    @classmethod
    def from_model_dir(cls, folder: Path) -> CtcConfig:
        config = _read(folder / "config.json")
        pre = _read(folder / "preprocessor_config.json")
        tok_config = _read(folder / "tokenizer_config.json")
        ours = _read(folder / CTC_CONFIG_FILE)
        vocab = _read(folder / "vocab.json")
        if not vocab or not all(isinstance(v, int) for v in vocab.values()):
            raise ModelError(f"'vocab.json' in {folder} is missing or not token -> id.")
        size = max(int(config.get("vocab_size") or 0), max(vocab.values()) + 1)
        tokens = [""] * size
        for token, index in vocab.items():
            tokens[index] = token
        pad = ours.get("blank_id", config.get("pad_token_id"))
        if pad is None:
            pad = vocab.get(str(tok_config.get("pad_token", "<pad>")), 0)
        delimiter = str(ours.get("word_delimiter", tok_config.get("word_delimiter_token", "|")))
        strides = config.get("conv_stride") or [5, 2, 2, 2, 2, 2, 2]
        stride = int(ours.get("frame_stride") or math.prod(int(s) for s in strides))
        language = ours.get("language") or language_code(tok_config.get("target_lang"))
        return cls(
            tokens=tuple(tokens),
            blank_id=int(pad),
            word_delimiter_id=vocab.get(delimiter),
            frame_stride=stride,
            sample_rate=int(pre.get("sampling_rate", SAMPLE_RATE)),
            do_normalize=bool(pre.get("do_normalize", True)),
            language=language,
        )
