"""Take ``screenshot-participant.png`` (a speaker's participant details, opened
from the Speakers panel with F2), ``screenshot-vocabularies.png`` (Project ▸
Controlled vocabularies…) and ``screenshot-project-languages.png`` (Project ▸
Project settings…) on the demo project.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_participants_screenshots.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.screens import (  # noqa: E402
    open_window,
    pump,
    screen_session,
)

OUT = ROOT / "docs"


def prepare(folder: Path) -> None:
    """The demo with a language list, a described speaker and a vocabulary on a tier."""
    from desktop_app.core.demo import build_demo
    from desktop_app.core.services.languages import LanguageService
    from desktop_app.core.services.speakers import SpeakerService, TierService
    from desktop_app.core.services.vocabularies import VocabularyService

    project = build_demo(folder)
    try:
        LanguageService(project).set("kk,ru,mixed,en,uz,tr")
        speakers = SpeakerService(project)
        first = speakers.list()[0]
        speakers.update(
            first.id,
            gender="female",
            age_band="30-39",
            birth_year=1989,
            dialect="оңтүстік",
            region="Түркістан облысы",
            l1="kk,ru",
            notes="Мектеп мұғалімі; жазба үйде жасалды.",
        )
        tier = TierService(project).create("style", kind="other")
        cvs = VocabularyService(project)
        style = cvs.create("speech style", "How the passage was spoken")
        for value, what in (
            ("read", "read aloud from a prompt"),
            ("spontaneous", "free conversation"),
            ("elicited", "answers to the linguist's questions"),
            ("sung", "song or chant"),
        ):
            cvs.add_entry(style.id, value, what)
        cvs.attach(tier.id, style.id)
    finally:
        project.close()


def main() -> int:
    from desktop_app.gui.dialogs.participant_dialog import ParticipantDialog
    from desktop_app.gui.dialogs.project_settings_dialog import open_project_settings
    from desktop_app.gui.dialogs.vocabulary_dialog import open_vocabularies

    tmp, app = screen_session()  # noqa: RUF059 (the app stays alive for the whole run)
    folder = tmp / "Field trip 2026.jazba"
    prepare(folder)
    window = open_window(folder)

    shots: list[ParticipantDialog] = []

    def grab_instead_of_exec(dialog: ParticipantDialog) -> int:
        dialog.show()
        pump(0.5)
        dialog.grab().save(str(OUT / "screenshot-participant.png"))
        shots.append(dialog)
        dialog.reject()
        return 0

    ParticipantDialog.exec = grab_instead_of_exec  # type: ignore[method-assign]
    panel = window.speakers
    panel.view.setCurrentIndex(panel.model.index(0))
    panel.edit_details()
    assert shots, "the participant dialog did not open"

    vocab = open_vocabularies(window)
    assert vocab is not None
    vocab.cv_list.setCurrentRow([cv.name for cv in vocab.vocabularies()].index("speech style"))
    vocab.entries.setCurrentCell(1, 0)
    pump(0.5)
    vocab.grab().save(str(OUT / "screenshot-vocabularies.png"))
    vocab.close()

    settings = open_project_settings(window)
    assert settings is not None
    settings.table.setCurrentCell(4, 0)
    pump(0.5)
    settings.grab().save(str(OUT / "screenshot-project-languages.png"))
    settings.close()
    pump(0.2)
    window.ops.close_project(ask=False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
