"""``jazba diarize`` and ``jazba speakers ...`` end to end on a tiny two-voice recording."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from desktop_app.cli.main import app
from desktop_app.speakers.models import SpeakerModel, speakers_root

runner = CliRunner()


def test_diarize_then_suggest_then_accept(
    ge2e_model: SpeakerModel, two_voices: tuple[Path, list], tmp_path: Path
) -> None:
    shutil.copytree(ge2e_model.folder, speakers_root() / "ge2e")
    res = runner.invoke(app, ["speakers", "install-model"])
    assert res.exit_code == 0 and "Already installed" in res.output
    proj = tmp_path / "p.jazba"
    assert runner.invoke(app, ["project", "new", str(proj)]).exit_code == 0
    wav, _ = two_voices
    assert runner.invoke(app, ["import", str(proj), str(wav), "-q"]).exit_code == 0
    res = runner.invoke(app, ["diarize", str(proj), "--speakers", "2", "-q"])
    assert res.exit_code == 0, res.output
    assert "2 speaker(s)" in res.output and "Speaker 1:" in res.output

    again = tmp_path / "again.wav"
    shutil.copy(wav, again)
    with open(again, "ab") as f:  # another file (hash), the same voices
        f.write(b"\0\0")
    assert runner.invoke(app, ["import", str(proj), str(again), "-q"]).exit_code == 0
    res = runner.invoke(app, ["diarize", str(proj), "-r", "2", "--min-speakers", "2", "-q"])
    assert res.exit_code == 0, res.output
    assert "sounds like Speaker 1" in res.output
    res = runner.invoke(app, ["speakers", "suggestions", str(proj)])
    found = re.search(r"#(\d+) recording 2: Speaker \d sounds like Speaker \d", res.output)
    assert found, res.output
    first = found.group(1)
    assert runner.invoke(app, ["speakers", "accept", str(proj), first]).exit_code == 0
    res = runner.invoke(app, ["speakers", "accept", str(proj), first])
    assert res.exit_code == 1 and "already accepted" in res.output

    out = tmp_path / "voices.json"
    assert runner.invoke(app, ["speakers", "export-profiles", str(proj), str(out)]).exit_code == 0
    other = tmp_path / "q.jazba"
    assert runner.invoke(app, ["project", "new", str(other)]).exit_code == 0
    res = runner.invoke(app, ["speakers", "import-profiles", str(other), str(out)])
    assert res.exit_code == 0 and "profile(s) imported" in res.output

    res = runner.invoke(app, ["diarize", str(proj), "--speakers", "2", "--max-speakers", "3"])
    assert res.exit_code != 0
