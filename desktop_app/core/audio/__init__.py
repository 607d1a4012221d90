"""Audio: decode anything, resample for the models, import all-or-nothing, draw peaks.

Qt-free. The GUI draws :class:`PeakPyramid` queries and reads model audio with
:func:`load_model_audio`; services run :func:`import_audio` as a job. Opening a
project calls :func:`clean_partial_files` to remove what a killed import left.
"""

from desktop_app.core.audio._storage import Leftover, clean_partial_files
from desktop_app.core.audio.decode import AudioInfo, iter_blocks, open_audio, probe
from desktop_app.core.audio.importer import (
    ImportedAudio,
    import_audio,
    load_model_audio,
    remove_imported,
)
from desktop_app.core.audio.peaks import PeakPyramid, PeakPyramidBuilder
from desktop_app.core.audio.resample import MODEL_RATE, MonoResampler, to_model_rate

__all__ = [
    "MODEL_RATE",
    "AudioInfo",
    "ImportedAudio",
    "Leftover",
    "MonoResampler",
    "PeakPyramid",
    "PeakPyramidBuilder",
    "clean_partial_files",
    "import_audio",
    "iter_blocks",
    "load_model_audio",
    "open_audio",
    "probe",
    "remove_imported",
    "to_model_rate",
]
