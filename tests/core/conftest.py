from __future__ import annotations

import pytest

from desktop_app.core.project import Project
from desktop_app.core.store.schema import Recording


def add_fake_recording(project: Project, title: str = "rec", duration_ms: int = 60_000) -> int:
    """Insert a recording row without audio (enough for segment/search tests)."""
    with project.unit() as s:
        r = Recording(
            title=title,
            original_filename=f"{title}.wav",
            audio_path=f"audio/{title}.wav",
            model_audio_path=f"cache/{title}.flac",
            peaks_path=f"cache/{title}.peaks.npy",
            sha256=title.encode().hex().ljust(64, "0")[:64],
            duration_ms=duration_ms,
            sample_rate=16000,
            channels=1,
            frames=duration_ms * 16,
            format="WAV",
        )
        s.add(r)
        s.flush()
        return r.id


@pytest.fixture
def recording_id(project: Project) -> int:
    return add_fake_recording(project)
