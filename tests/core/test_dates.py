"""Free-precision dates of recordings, and the service refusing invalid ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.dates import date_problem
from desktop_app.core.errors import EditError
from desktop_app.core.project import Project
from desktop_app.core.resources import demo_dir
from desktop_app.core.services.recordings import RecordingMeta, RecordingService


@pytest.mark.parametrize("text", ["", None, "1968", "2026-07", "2026-07-14", "2024-02-29"])
def test_valid_partial_dates(text) -> None:
    assert date_problem(text) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("yesterday", "is not a date: write it as YYYY, YYYY-MM or YYYY-MM-DD"),
        ("14.07.2026", "is not a date"),
        ("2026-7-14", "is not a date"),
        ("26", "is not a date"),
        ("2026-13", "there is no month 13"),
        ("2026-00-10", "there is no month 00"),
        ("2026-02-30", "February 2026 has days 01 to 28, not 30"),
        ("2023-04-31", "April 2023 has days 01 to 30, not 31"),
        ("0000", "there is no year 0"),
    ],
)
def test_invalid_dates_say_what_is_wrong(text: str, says: str) -> None:
    problem = date_problem(text)
    assert problem is not None and says in problem and text in problem


def test_the_service_refuses_an_invalid_date(project: Project, tmp_path: Path) -> None:
    service = RecordingService(project)
    info = service.import_file(demo_dir() / "02_weather.flac")
    service.update(info.id, RecordingMeta(recorded_on="1968-05"))
    with pytest.raises(EditError, match="Recorded on: '1968-05-32'"):
        service.update(info.id, RecordingMeta(recorded_on="1968-05-32", place="Алматы"))
    after = service.get(info.id)
    assert (after.recorded_on, after.place) == ("1968-05", None)  # nothing half-saved
    service.update(info.id, RecordingMeta(recorded_on=""))  # clearing is fine
    assert service.get(info.id).recorded_on in ("", None)
