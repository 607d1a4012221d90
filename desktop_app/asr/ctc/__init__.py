"""CTC speech recognition (wav2vec2, XLS-R, MMS, HuBERT, WavLM) exported to ONNX.

:class:`CtcOnnx` has the engine surface of
:class:`~desktop_app.asr.transcribe.WhisperOnnx` and yields the same
:class:`~desktop_app.asr.transcribe.Segment` objects, with word times from the
CTC alignment. The decoders work on plain numpy posteriors and are tested on
synthetic ones.
"""

from desktop_app.asr.ctc.decoding import (
    BeamResult,
    WordBias,
    collapse,
    forced_align,
    greedy_path,
    log_softmax,
    prefix_beam_search,
)
from desktop_app.asr.ctc.engine import CtcOnnx
from desktop_app.asr.ctc.vocab import CtcConfig, language_code
from desktop_app.asr.ctc.words import Emission, TimedWord, emissions, split_at_pauses, timed_words

__all__ = [
    "BeamResult",
    "CtcConfig",
    "CtcOnnx",
    "Emission",
    "TimedWord",
    "WordBias",
    "collapse",
    "emissions",
    "forced_align",
    "greedy_path",
    "language_code",
    "log_softmax",
    "prefix_beam_search",
    "split_at_pauses",
    "timed_words",
]
