"""Frame features for units: a middle layer of the Whisper encoder, on ONNX Runtime.

The offline default needs no extra model: the hidden states after a middle
block of the installed Whisper encoder (block 4 of 6 for Whisper base, see
:func:`middle_layer`), one 512-dim vector per 20 ms. The
graph is cut with :func:`onnx.utils.extract_model` right after that block
(the later blocks are dropped, so it is also cheaper than the full encoder).

Honest caveat: Whisper's encoder was trained with supervised ASR, not
self-supervised learning; its middle layers carry phonetic information and
serve here as a *stand-in* for SSL features (HuBERT, wav2vec2, XLS-R). Install
a local wav2vec2/HuBERT/XLS-R folder for the real thing (the Hugging Face path
runs in the ``desktop_app.unitlm`` subprocess).

Whisper's encoder only accepts 30 s windows, so audio is cut into windows,
each zero-padded to 30 s, and the frames that cover real audio are kept.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.asr.features import FeatureConfig, LogMelSpectrogram
from desktop_app.asr.ort_session import choose_device, load_session, make_session_options
from desktop_app.core.errors import JazbaError, ModelError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
FRAME_SAMPLES = 320  # 20 ms: Whisper's encoder and wav2vec2 both emit 50 frames a second
FEATURES_FILE = "features.onnx"
WHISPER_KIND = "whisper-onnx"
HF_KIND = "hf"
_LAYER_OUTPUT = re.compile(r"^/(?:encoder/)?layers\.(\d+)/Add_1_output_0$")


class UnitInputError(JazbaError):
    """Audio that cannot be turned into units (empty, shorter than one frame)."""


@dataclass(frozen=True)
class FeatureSpec:
    """Which encoder and layer produce the frame features of a unit model.

    ``kind`` is ``"whisper-onnx"`` (``layer`` counts encoder blocks from 1;
    the graph is ``features.onnx`` in the unit-LM version) or ``"hf"``
    (``source`` is a local Hugging Face wav2vec2/HuBERT/XLS-R folder and
    ``layer`` indexes its ``hidden_states``: 0 is the CNN projection).
    """

    kind: str
    layer: int
    source: str = ""  # ASR model id, or the HF folder
    frame_rate: float = SAMPLE_RATE / FRAME_SAMPLES
    dim: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def describe(self) -> str:
        if self.kind == WHISPER_KIND:
            return f"Whisper encoder block {self.layer} (stand-in for SSL features)"
        return f"{Path(self.source).name} hidden layer {self.layer}"


def check_audio(audio: np.ndarray, what: str = "The audio") -> np.ndarray:
    """16 kHz mono float32 audio with at least one 20 ms frame, or a clear error."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        raise UnitInputError(f"{what} is empty: there is nothing to turn into speech units.")
    if audio.size < FRAME_SAMPLES:
        raise UnitInputError(
            f"{what} is {audio.size / SAMPLE_RATE * 1000:.0f} ms long, shorter than one "
            f"20 ms unit frame."
        )
    if not np.all(np.isfinite(audio)):
        raise UnitInputError(f"{what} contains invalid samples (NaN or infinity).")
    return audio


def n_frames(n_samples: int) -> int:
    """Unit frames covering ``n_samples`` (a partial last frame counts)."""
    return max(0, math.ceil(n_samples / FRAME_SAMPLES))


def _onnx() -> Any:
    """The ``onnx`` package (graph editing; comes with the ``train`` extra)."""
    try:
        import onnx
    except ImportError as exc:
        raise ModelError(
            "Learning units needs the 'onnx' package: install Jazba's 'train' extra."
        ) from exc
    return onnx


def layer_outputs(encoder: Path) -> dict[int, str]:
    """Block number (from 1) -> name of that block's output tensor in an encoder graph."""
    onnx = _onnx()
    model = onnx.load(str(encoder), load_external_data=False)
    found: dict[int, str] = {}
    for node in model.graph.node:
        for out in node.output:
            match = _LAYER_OUTPUT.match(out)
            if match:
                found[int(match.group(1)) + 1] = out
    return found


def middle_layer(encoder: Path) -> int:
    """The default block: two thirds of the way up (block 4 of Whisper base's 6).

    On the espeak-ng benchmark (``benchmarks/unit_lm.py``, K=100) block 4 ranked
    other-language clips above Kazakh with AUROC 0.97 against 0.78 for block 3,
    at a similar held-out perplexity; later blocks grow more text-specific.
    """
    layers = layer_outputs(encoder)
    if not layers:
        raise ModelError(f"'{encoder.name}' has no recognisable encoder blocks.")
    return max(1, round(len(layers) * 2 / 3))


def cut_whisper_encoder(encoder: Path, layer: int, out: Path) -> Path:
    """Write ``out``: the encoder graph up to the output of block ``layer`` (graph edit, no torch).

    The result has the input ``input_features`` and the output ``hidden``
    ``(batch, frames, d_model)``. Written through a temporary file, so a
    failure leaves no half-written graph.
    """
    onnx = _onnx()
    from onnx.utils import extract_model

    layers = layer_outputs(encoder)
    if layer not in layers:
        raise ModelError(
            f"The Whisper encoder has blocks 1–{max(layers, default=0)}; "
            f"block {layer} does not exist."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cut-", dir=out.parent) as tmp:
        cut = Path(tmp) / "cut.onnx"
        extract_model(str(encoder), str(cut), ["input_features"], [layers[layer]])
        model = onnx.load(str(cut))
        old = model.graph.output[0].name
        for node in model.graph.node:
            node.output[:] = ["hidden" if o == old else o for o in node.output]
        model.graph.output[0].name = "hidden"
        model.doc_string = f"Whisper encoder cut after block {layer} (Jazba unit features)"
        onnx.save(model, str(Path(tmp) / "final.onnx"))
        shutil.move(str(Path(tmp) / "final.onnx"), out)
    return out


class WhisperLayerFeatures:
    """``audio -> (frames, dim)`` hidden states of a cut Whisper encoder (see module doc)."""

    def __init__(self, graph: str | Path, device: str = "cpu", threads: int | None = None) -> None:
        graph = Path(graph)
        self.session, self.choice = load_session(
            graph, make_session_options(threads), choose_device(device)
        )
        inp = self.session.get_inputs()[0]
        self.n_mels = int(inp.shape[1]) if isinstance(inp.shape[1], int) else 80
        self.frames_per_window = int(inp.shape[2]) if isinstance(inp.shape[2], int) else 3000
        config = FeatureConfig(n_mels=self.n_mels)
        self.mel = LogMelSpectrogram(config)
        self.window_samples = config.n_samples
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def windows(self, audio: np.ndarray) -> Iterator[np.ndarray]:
        """Features of each 30 s window in turn (lets callers report progress)."""
        audio = check_audio(audio)
        for start in range(0, audio.size, self.window_samples):
            piece = audio[start : start + self.window_samples]
            feats = self.mel(piece)[None]
            hidden = self.session.run(["hidden"], {"input_features": feats})[0][0]
            yield np.asarray(hidden[: n_frames(piece.size)], dtype=np.float32)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        return np.concatenate(list(self.windows(audio)), axis=0)
