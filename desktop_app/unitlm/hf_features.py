"""Frame features from a local Hugging Face self-supervised encoder (PyTorch).

Any folder that ``transformers.AutoModel`` loads as wav2vec2, HuBERT, XLS-R,
mHuBERT or WavLM works; ``layer`` indexes ``hidden_states`` (0 = the output of
the convolutional front end, n = after transformer layer n). Audio is fed in
30 s pieces to bound memory; each piece gives one frame per 20 ms.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from desktop_app.core.errors import ModelError
from desktop_app.units.features import SAMPLE_RATE, check_audio

WINDOW_S = 30
SSL_TYPES = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "wav2vec2-conformer")
MIN_SAMPLES = 400  # the wav2vec2 front end's receptive field (25 ms)


class HFLayerFeatures:
    def __init__(self, model_dir: str | Path, layer: int, device: str = "cpu") -> None:
        from transformers import AutoConfig, AutoFeatureExtractor, AutoModel

        folder = Path(model_dir)
        if not (folder / "config.json").is_file():
            raise ModelError(f"'{folder}' is not a Hugging Face model folder (no config.json).")
        config = AutoConfig.from_pretrained(folder)
        if config.model_type not in SSL_TYPES:
            raise ModelError(
                f"'{folder.name}' is a '{config.model_type}' model; unit features need a "
                f"self-supervised speech encoder ({', '.join(SSL_TYPES)})."
            )
        n_layers = int(config.num_hidden_layers)
        if not 0 <= layer <= n_layers:
            raise ModelError(f"'{folder.name}' has hidden layers 0–{n_layers}; not {layer}.")
        self.layer = layer
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.model = AutoModel.from_pretrained(folder).to(self.device).eval()
        try:
            fe = AutoFeatureExtractor.from_pretrained(folder)
            self.normalize = bool(getattr(fe, "do_normalize", True))
        except (OSError, ValueError):
            self.normalize = True
        self.dim = int(config.hidden_size)

    def windows(self, audio: np.ndarray) -> Iterator[np.ndarray]:
        audio = check_audio(audio)
        step = WINDOW_S * SAMPLE_RATE
        for start in range(0, audio.size, step):
            piece = audio[start : start + step]
            if piece.size < MIN_SAMPLES:  # a last sliver: pad to the receptive field
                piece = np.pad(piece, (0, MIN_SAMPLES - piece.size))
            if self.normalize:
                piece = (piece - piece.mean()) / np.sqrt(piece.var() + 1e-7)
            with torch.inference_mode():
                x = torch.from_numpy(np.ascontiguousarray(piece, dtype=np.float32))[None]
                out = self.model(x.to(self.device), output_hidden_states=True)
                hidden = out.hidden_states[self.layer][0]
            yield hidden.float().cpu().numpy()

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        return np.concatenate(list(self.windows(audio)), axis=0)
