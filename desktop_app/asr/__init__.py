"""Local speech recognition: Whisper or CTC models exported to ONNX, run with ONNX Runtime.

Nothing here imports PyTorch, Transformers or Optimum (an import-linter
contract in ``pyproject.toml`` enforces it); numpy, onnxruntime and tokenizers
are enough. Typical use::

    model = WhisperOnnx(model_dir, device="auto")
    segments, info = model.transcribe(audio, preset("kk-ru"))
    for segment in segments:  # decoded lazily; stop iterating to cancel
        ...

:func:`load_engine` opens whichever a model folder holds: :class:`WhisperOnnx`
or :class:`CtcOnnx` (wav2vec2, XLS-R, MMS), with the same surface.
"""

from desktop_app.asr.ctc import CtcOnnx
from desktop_app.asr.engines import SpeechEngine, load_engine
from desktop_app.asr.features import FeatureConfig, LogMelSpectrogram, log_mel_spectrogram
from desktop_app.asr.options import DecodeOptions, VadOptions
from desktop_app.asr.ort_session import DeviceChoice, choose_device
from desktop_app.asr.presets import PRESETS, preset, preset_names
from desktop_app.asr.tokenizer import WhisperTokenizer
from desktop_app.asr.transcribe import (
    Segment,
    TranscriptionInfo,
    WhisperOnnx,
    Word,
    WordAligner,
)
from desktop_app.asr.vad import SpeechChunk, VadResult, detect_speech

__all__ = [
    "PRESETS",
    "CtcOnnx",
    "DecodeOptions",
    "DeviceChoice",
    "FeatureConfig",
    "LogMelSpectrogram",
    "Segment",
    "SpeechChunk",
    "SpeechEngine",
    "TranscriptionInfo",
    "VadOptions",
    "VadResult",
    "WhisperOnnx",
    "WhisperTokenizer",
    "Word",
    "WordAligner",
    "choose_device",
    "detect_speech",
    "load_engine",
    "log_mel_spectrogram",
    "preset",
    "preset_names",
]
