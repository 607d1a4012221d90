"""Field recording: capture sources, the crash-safe recorder, and recovery.

Qt-free; the GUI's record dialog and ``jazba record`` both sit on top of it.
"""

from desktop_app.core.capture.journal import Journal, Marker, SessionMeta
from desktop_app.core.capture.levels import Level
from desktop_app.core.capture.project_recording import (
    IN_PROGRESS_DIR,
    ImportOutcome,
    ProjectRecorder,
    Recovered,
    find_unfinished,
    finish_recording,
    import_recording,
    recover_unfinished,
    start_recording,
)
from desktop_app.core.capture.recorder import (
    Recorder,
    RecorderOptions,
    RecorderStatus,
    RecordingResult,
    StopReason,
)
from desktop_app.core.capture.sources import (
    NO_DEVICE_MESSAGE,
    SAMPLE_RATES,
    CaptureError,
    CaptureSource,
    InputDevice,
    list_input_devices,
    open_input,
)
from desktop_app.core.capture.synthetic import SyntheticSource, synthetic_samples
from desktop_app.core.capture.wavstream import BIT_DEPTHS
from desktop_app.core.services.recordings import recording_speakers, set_recording_speakers

__all__ = [
    "BIT_DEPTHS",
    "IN_PROGRESS_DIR",
    "NO_DEVICE_MESSAGE",
    "SAMPLE_RATES",
    "CaptureError",
    "CaptureSource",
    "ImportOutcome",
    "InputDevice",
    "Journal",
    "Level",
    "Marker",
    "ProjectRecorder",
    "Recorder",
    "RecorderOptions",
    "RecorderStatus",
    "RecordingResult",
    "Recovered",
    "SessionMeta",
    "StopReason",
    "SyntheticSource",
    "find_unfinished",
    "finish_recording",
    "import_recording",
    "list_input_devices",
    "open_input",
    "recording_speakers",
    "recover_unfinished",
    "set_recording_speakers",
    "start_recording",
    "synthetic_samples",
]
