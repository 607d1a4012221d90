"""Check that a converted HF Whisper decodes like the CTranslate2 original.

Both models get the same log-mel features and the same prompt; decoding is
plain greedy (argmax, no token suppression) so any difference comes from the
weights, not from decoding rules.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from desktop_app.core.errors import ModelError

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class ParityResult:
    """Greedy tokens of both models and how far their encoder outputs differ."""

    prompt: list[int]
    hf_tokens: list[int]
    ct2_tokens: list[int]
    encoder_max_abs_diff: float

    @property
    def equal(self) -> bool:
        return self.hf_tokens == self.ct2_tokens

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "equal": self.equal})


def load_audio_16k(path: str | Path) -> np.ndarray:
    """Mono float32 samples of ``path`` at 16 kHz."""
    import soundfile
    import soxr

    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"Cannot read '{path}': {exc}") from exc
    mono = audio.mean(axis=1)
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE)
    return np.ascontiguousarray(mono, dtype=np.float32)


def log_mel(audio: np.ndarray, hf_dir: str | Path) -> np.ndarray:
    """``(1, n_mels, 3000)`` Whisper features for up to 30 s of 16 kHz audio."""
    from transformers import WhisperFeatureExtractor

    extractor = WhisperFeatureExtractor.from_pretrained(hf_dir)
    features = extractor(audio, sampling_rate=SAMPLE_RATE, return_tensors="np").input_features
    return np.ascontiguousarray(features, dtype=np.float32)


def whisper_prompt(hf_dir: str | Path, language: str | None) -> list[int]:
    """``<|startoftranscript|> [<|lang|> <|transcribe|>] <|notimestamps|>`` ids."""
    generation = json.loads((Path(hf_dir) / "generation_config.json").read_text("utf-8"))
    prompt = [int(generation["decoder_start_token_id"])]
    if language is not None and generation.get("lang_to_id"):
        token = f"<|{language}|>"
        if token not in generation["lang_to_id"]:
            raise ModelError(f"The model does not know the language '{language}'.")
        prompt += [generation["lang_to_id"][token], generation["task_to_id"]["transcribe"]]
    return [*prompt, int(generation["no_timestamps_token_id"])]


def greedy_hf(
    hf_dir: str | Path, features: np.ndarray, prompt: list[int], max_new_tokens: int = 200
) -> tuple[list[int], np.ndarray]:
    """Greedy tokens after ``prompt`` (EOS excluded) and the encoder output."""
    import torch
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(hf_dir).eval()
    eos = model.config.eos_token_id
    tokens: list[int] = []
    with torch.inference_mode():
        encoded = model.model.encoder(torch.from_numpy(features)).last_hidden_state
        ids = torch.tensor([prompt])
        past = None
        step_ids = ids
        for _ in range(max_new_tokens):
            out = model(
                encoder_outputs=(encoded,),
                decoder_input_ids=step_ids,
                past_key_values=past,
                use_cache=True,
            )
            past = out.past_key_values
            next_id = int(out.logits[0, -1].argmax())
            if next_id == eos:
                break
            tokens.append(next_id)
            step_ids = torch.tensor([[next_id]])
    return tokens, encoded.numpy()


def greedy_ct2(
    ct2_dir: str | Path, features: np.ndarray, prompt: list[int], max_new_tokens: int = 200
) -> tuple[list[int], np.ndarray]:
    """The same decoding with ``ctranslate2.models.Whisper`` (float32 on CPU).

    Like OpenAI's decoder, ctranslate2 samples at most ``max_length // 2``
    tokens, hence the doubled ``max_length``.
    """
    import ctranslate2

    model = ctranslate2.models.Whisper(str(ct2_dir), device="cpu", compute_type="float32")
    storage = ctranslate2.StorageView.from_array(features)
    encoded = np.array(model.encode(storage, to_cpu=True))
    result = model.generate(
        storage,
        [prompt],
        beam_size=1,
        max_length=2 * max_new_tokens,
        suppress_blank=False,
        suppress_tokens=[],
    )[0]
    return list(result.sequences_ids[0]), encoded


def check_parity(
    ct2_dir: str | Path,
    hf_dir: str | Path,
    audio_path: str | Path,
    language: str | None = "en",
    max_new_tokens: int = 200,
) -> ParityResult:
    """Decode ``audio_path`` with both models; see :class:`ParityResult`."""
    features = log_mel(load_audio_16k(audio_path), hf_dir)
    prompt = whisper_prompt(hf_dir, language)
    hf_tokens, hf_encoded = greedy_hf(hf_dir, features, prompt, max_new_tokens)
    ct2_tokens, ct2_encoded = greedy_ct2(ct2_dir, features, prompt, max_new_tokens)
    diff = float(np.max(np.abs(hf_encoded - ct2_encoded)))
    return ParityResult(prompt, hf_tokens, ct2_tokens, diff)
