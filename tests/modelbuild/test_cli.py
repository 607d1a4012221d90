"""The subprocess CLI and its JSON-lines protocol."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.modelbuild.__main__ import main
from desktop_app.modelbuild.protocol import DoneMsg, ErrorMsg, ProgressMsg, decode, encode

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "msg",
    [ProgressMsg(0.25, "Exporting — ақ"), DoneMsg({"files": ["a.onnx"]}), ErrorMsg("bad 'x'")],
)
def test_messages_round_trip(msg: ProgressMsg | DoneMsg | ErrorMsg) -> None:
    line = encode(msg)
    assert "\n" not in line
    assert decode(line + "\n") == msg


@pytest.mark.parametrize(
    "line",
    ["", "Some library printed this", "{not json", "[1, 2]", '{"type": "progress"}', '{"a": 1}'],
)
def test_other_lines_are_ignored(line: str) -> None:
    assert decode(line) is None


def _run(argv: list[str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = main(argv, stream=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_convert_reports_progress_then_done(tiny_ct2: Path, tmp_path: Path) -> None:
    code, messages = _run(["convert-ct2", str(tiny_ct2), str(tmp_path / "hf")])
    assert code == 0
    assert [m["type"] for m in messages[:-1]] == ["progress"] * (len(messages) - 1)
    fractions = [m["fraction"] for m in messages[:-1]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert messages[-1]["type"] == "done"
    assert messages[-1]["result"]["dims"]["d_model"] == 64


def test_errors_become_an_error_message(tmp_path: Path) -> None:
    code, messages = _run(["convert-ct2", str(tmp_path / "missing"), str(tmp_path / "hf")])
    assert code == 1
    assert messages[-1]["type"] == "error"
    assert "not a CTranslate2 model folder" in messages[-1]["message"]


def test_stdout_carries_only_protocol_lines(tiny_ct2: Path, tmp_path: Path) -> None:
    """Run as a real subprocess: library chatter must go to stderr."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_app.modelbuild",
            "convert-ct2",
            str(tiny_ct2),
            str(tmp_path / "hf"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(decode(line) is not None for line in lines)
    assert isinstance(decode(lines[-1]), DoneMsg)


def test_bad_usage_exits_2() -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"], stream=io.StringIO())
    assert info.value.code == 2
