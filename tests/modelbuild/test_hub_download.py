"""Downloads from a local fake Hub: checksums, resume, errors, disk space, mirrors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.errors import ModelError
from desktop_app.modelbuild import hub_download as hd
from tests.hub_server import FakeHub, FakeRepo

BIG = bytes(range(256)) * 4000  # 1 MB: listed as LFS (sha256)
FILES = {
    "config.json": b'{"model_type": "whisper"}',
    "model.safetensors": BIG,
    "pytorch_model.bin": b"pickled copy of the same weights",
    "tf_model.h5": b"not wanted",
    "README.md": b"# card",
}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    server = FakeHub({"org/tiny": FakeRepo(dict(FILES))}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored token
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.stop()


def lots_free(_path: Path) -> int:
    return 1 << 50


def test_downloads_only_the_needed_files_and_checks_each(hub: FakeHub, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    snap = hd.download_snapshot(
        "org/tiny", tmp_path / "dl", progress=lambda f, t: seen.append((f, t)), free=lots_free
    )
    names = sorted(f.name for f in snap.files)
    # safetensors wins over the pickled copy; TF weights and the card are not needed.
    assert names == ["config.json", "model.safetensors"]
    assert (tmp_path / "dl" / "model.safetensors").read_bytes() == BIG
    how = {f.name: f.checked_against for f in snap.files}
    assert how == {"config.json": "git-blob-sha1", "model.safetensors": "hub-sha256"}
    assert snap.commit == hub.repos["org/tiny"].commit
    assert seen[-1][0] == 1.0
    assert any("Downloading model.safetensors:" in t and " of " in t for _, t in seen)


def test_a_cut_connection_resumes_from_where_it_stopped(hub: FakeHub, tmp_path: Path) -> None:
    hub.cut_after["model.safetensors"] = 300_000
    snap = hd.download_snapshot("org/tiny", tmp_path / "dl", free=lots_free)
    assert (tmp_path / "dl" / "model.safetensors").read_bytes() == BIG
    ranges = [r for m, p, r in hub.requests if p.endswith("model.safetensors") and m == "GET"]
    assert len(ranges) == 2 and ranges[0] == "bytes=0-"
    resumed_at = int(ranges[1].removeprefix("bytes=").rstrip("-"))
    assert 300_000 - hd.NET_CHUNK <= resumed_at <= 300_000  # from where it stopped
    assert snap.downloaded_bytes == len(BIG) + len(FILES["config.json"])


def test_a_second_run_continues_a_killed_download(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    # What a killed run leaves: a part file and the state naming the commit.
    hd._write_state(
        folder, {"repo_id": "org/tiny", "commit": hub.repos["org/tiny"].commit, "checked": {}}
    )
    (folder / "model.safetensors.part").write_bytes(BIG[:123_456])
    snap = hd.download_snapshot("org/tiny", folder, free=lots_free)
    assert (folder / "model.safetensors").read_bytes() == BIG
    assert hub.bytes_served("model.safetensors") == len(BIG) - 123_456
    assert snap.downloaded_bytes == len(BIG) - 123_456 + len(FILES["config.json"])
    # A third run fetches nothing: every file is already checked.
    again = hd.download_snapshot("org/tiny", folder, free=lots_free)
    assert again.downloaded_bytes == 0


def test_a_part_from_another_commit_is_not_reused(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    hd._write_state(folder, {"repo_id": "org/tiny", "commit": "f" * 40, "checked": {}})
    (folder / "model.safetensors.part").write_bytes(b"x" * 1000)
    hd.download_snapshot("org/tiny", folder, free=lots_free)
    assert (folder / "model.safetensors").read_bytes() == BIG


def test_a_server_that_ignores_ranges_still_gives_the_right_file(
    hub: FakeHub, tmp_path: Path
) -> None:
    hub.no_ranges = True
    folder = tmp_path / "dl"
    folder.mkdir()
    hd._write_state(
        folder, {"repo_id": "org/tiny", "commit": hub.repos["org/tiny"].commit, "checked": {}}
    )
    (folder / "model.safetensors.part").write_bytes(BIG[:5000])
    hd.download_snapshot("org/tiny", folder, free=lots_free)
    assert (folder / "model.safetensors").read_bytes() == BIG


def test_a_file_that_does_not_match_its_checksum_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    hub.corrupt.add("model.safetensors")
    with pytest.raises(ModelError, match=r"does not match the checksum.*hub-sha256"):
        hd.download_snapshot("org/tiny", tmp_path / "dl", free=lots_free)
    assert not (tmp_path / "dl" / "model.safetensors").exists()
    assert not (tmp_path / "dl" / "model.safetensors.part").exists()
    hub.corrupt.clear()  # the next run starts that file over and succeeds
    hd.download_snapshot("org/tiny", tmp_path / "dl", free=lots_free)


def test_small_files_are_checked_by_their_git_blob_id(hub: FakeHub, tmp_path: Path) -> None:
    hub.corrupt.add("config.json")
    with pytest.raises(ModelError, match=r"config.json.*git-blob-sha1"):
        hd.download_snapshot("org/tiny", tmp_path / "dl", free=lots_free)


def test_unknown_repository_says_404(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"'org/nope' was not found on http://127.*404"):
        hd.download_snapshot("org/nope", tmp_path / "dl", free=lots_free)


def test_unknown_revision_is_named(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no revision 'v9'"):
        hd.download_snapshot("org/tiny", tmp_path / "dl", revision="v9", free=lots_free)


def test_gated_repository_asks_for_a_token_and_takes_one(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.repos["org/tiny"].gated = True
    with pytest.raises(ModelError, match=r"gated.*token field.*HF_TOKEN"):
        hd.download_snapshot("org/tiny", tmp_path / "dl", free=lots_free)
    snap = hd.download_snapshot("org/tiny", tmp_path / "dl", token=hub.token, free=lots_free)
    assert len(snap.files) == 2
    monkeypatch.setenv("HF_TOKEN", hub.token)  # the environment's token works too
    hd.download_snapshot("org/tiny", tmp_path / "dl2", free=lots_free)


def test_offline_says_so_and_points_to_bundles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on port 9
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    with pytest.raises(ModelError, match=r"offline.*bundle.*HF_ENDPOINT"):
        hd.download_snapshot("org/tiny", tmp_path / "dl", free=lots_free)


def test_not_enough_disk_space_stops_before_downloading(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"Not enough disk space.*needs about .* free"):
        hd.download_snapshot("org/tiny", tmp_path / "dl", free=lambda _p: 10 << 20)
    assert not any(p for _, p, _ in hub.requests if "/resolve/" in p)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_while_writing_keeps_the_part_and_says_so(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    hd._write_state(
        folder, {"repo_id": "org/tiny", "commit": hub.repos["org/tiny"].commit, "checked": {}}
    )
    os.symlink("/dev/full", folder / "model.safetensors.part")
    with pytest.raises(ModelError, match=r"disk is full.*continues where it stopped"):
        hd.download_snapshot("org/tiny", folder, free=lots_free)


def test_time_left_and_sizes_are_readable() -> None:
    assert hd.format_duration(30) == "under a minute"
    assert hd.format_duration(125) == "2 min"
    assert hd.format_duration(3 * 3600 + 5 * 60) == "3 h 05 min"
    meter = hd.Meter(2_000_000_000, 0, lambda f, t: None)
    meter.done = 500_000_000
    assert meter.text("model.safetensors").startswith(
        "Downloading model.safetensors: 0.5 GB of 2.0 GB"
    )
