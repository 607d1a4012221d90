"""Downloads from the Hugging Face Hub that a user can trust (build subprocess).

:func:`download_snapshot` asks the Hub (``HF_ENDPOINT``, so a national mirror
works too) which files a repository has at a revision, with their sizes and
checksums, resolves the revision to a commit, checks there is room on the
disk, then fetches each file with HTTP range requests into a download folder
that survives a cancel, a cut connection or a killed process: running it
again continues where it stopped. Every file is checked before it counts: LFS
files against the Hub's SHA-256, small files against their git blob id (the
SHA-1 of ``"blob <size>\\0" + content``). What was checked is returned, for
the model's manifest.

Progress says bytes and time left. Errors say what the user can do: offline,
not found, gated (a token is needed and how to give one), the disk is full.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.errors import ModelError

ProgressFn = Callable[[float, str], None]
FreeBytesFn = Callable[[Path], int]

CHUNK = 1 << 20  # for reading files
NET_CHUNK = 64 << 10  # written as it comes: a cut loses at most this much
TIMEOUT_S = 30.0
RETRIES = 4  # a cut connection is retried (from where it stopped) this many times
STATE_NAME = ".jazba-download.json"
PART_SUFFIX = ".part"
#: Room kept free beyond the download and the converted model.
MARGIN_BYTES = 200 << 20
#: The converted ONNX model (fp32, plus the int8 variant) and the checkpoint kept for
#: fine-tuning weigh about this much per byte downloaded (fp16 doubles in fp32).
CONVERSION_FACTOR = 3.5

#: Whisper repositories: HF, CTranslate2 (faster-whisper) or ONNX (onnx-community) layouts,
#: without TensorFlow/Flax weights or the many quantised ONNX variants.
WHISPER_PATTERNS = (
    "*.json",
    "*.txt",
    "*.safetensors",
    "model.bin",
    "pytorch_model*.bin",
    "encoder_model.onnx*",
    "decoder_model_merged.onnx*",
    "onnx/encoder_model.onnx*",
    "onnx/decoder_model_merged.onnx*",
)
#: CTC (wav2vec2 family) repositories: configs, vocabulary and the weights.
CTC_PATTERNS = ("*.json", "*.txt", "*.safetensors", "pytorch_model*.bin")
TOKEN_HELP = (
    "Accept the model's conditions on its Hub page, create a read token at "
    "https://huggingface.co/settings/tokens, then give it to Jazba: in the token field, "
    "in the HF_TOKEN environment variable, or by logging in with the Hugging Face CLI."
)


@dataclass(frozen=True)
class RemoteFile:
    """A file of the repository as the Hub lists it."""

    name: str
    size: int
    sha256: str | None  # LFS files
    git_sha1: str | None  # every file: the git blob id


@dataclass(frozen=True)
class CheckedFile:
    """A downloaded file and how it was checked (recorded in the manifest)."""

    name: str
    size: int
    sha256: str
    checked_against: str  # "hub-sha256", "git-blob-sha1" or "size-only"


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    repo_id: str
    commit: str
    files: tuple[CheckedFile, ...]
    downloaded_bytes: int  # fetched in this run (a resumed run fetches less)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "repo_id": self.repo_id,
            "commit": self.commit,
            "files": [asdict(f) for f in self.files],
            "downloaded_bytes": self.downloaded_bytes,
        }


# -- choosing files --------------------------------------------------------------
def select_files(files: Iterable[RemoteFile], patterns: Sequence[str]) -> list[RemoteFile]:
    """The files matching ``patterns``; safetensors weights win over pickled ones."""
    chosen = [f for f in files if any(fnmatch.fnmatch(f.name, p) for p in patterns)]
    names = {f.name for f in chosen}
    if any(n.startswith("model") and n.endswith(".safetensors") for n in names):
        # Never fetch (or unpickle) a second copy of the same weights.
        chosen = [
            f
            for f in chosen
            if not (f.name.startswith("pytorch_model") and f.name.endswith(".bin"))
            and f.name != "model.bin"
            and not f.name.startswith("onnx/")
            and not f.name.endswith(".onnx")
        ]
    return sorted(chosen, key=lambda f: f.name)


# -- the Hub's API --------------------------------------------------------------
def _endpoint() -> str:
    from huggingface_hub import constants

    return os.environ.get("HF_ENDPOINT") or constants.ENDPOINT


def _token(token: str | None) -> str | None:
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


def _hub_error(exc: BaseException, repo_id: str, revision: str | None) -> ModelError:
    """A :class:`ModelError` that says what happened and what to do."""
    from huggingface_hub import errors
    from requests import exceptions as rexc

    where = _endpoint()
    if isinstance(exc, errors.GatedRepoError):
        return ModelError(f"'{repo_id}' is gated: it needs a Hugging Face token. {TOKEN_HELP}")
    if isinstance(exc, errors.RevisionNotFoundError):
        return ModelError(f"'{repo_id}' has no revision '{revision}' on {where}.")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return ModelError(
            f"'{repo_id}' was not found on {where} (404). Check the name; a private model "
            f"also needs a token. {TOKEN_HELP}"
        )
    if isinstance(exc, errors.EntryNotFoundError):
        return ModelError(f"A file of '{repo_id}' is listed but not served by {where} (404).")
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return ModelError("HF_HUB_OFFLINE is set, so nothing can be downloaded.")
    if isinstance(exc, rexc.ConnectionError | rexc.Timeout):
        return ModelError(
            f"Cannot reach {where}: this computer seems to be offline. Connect and try again; "
            "without internet, install the model from a bundle file made on a computer that "
            "has it. Behind a national mirror, set HF_ENDPOINT to its address."
        )
    if isinstance(exc, errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return ModelError(f"The Hub at {where} refused the download of '{repo_id}' ({status}).")
    return ModelError(f"Cannot download '{repo_id}' from {where}: {exc}")


def list_remote(
    repo_id: str, revision: str | None, token: str | None
) -> tuple[str, list[RemoteFile]]:
    """``(commit, files)`` of ``repo_id`` at ``revision`` (the Hub's main when None)."""
    from huggingface_hub import HfApi

    try:
        info = HfApi(endpoint=_endpoint()).model_info(
            repo_id, revision=revision, files_metadata=True, token=_token(token) or False
        )
    except Exception as exc:  # the Hub's errors are many; each gets a sentence.
        raise _hub_error(exc, repo_id, revision) from exc
    if getattr(info, "gated", False) and not _token(token):
        raise ModelError(f"'{repo_id}' is gated: it needs a Hugging Face token. {TOKEN_HELP}")
    files = []
    for sib in info.siblings or []:
        lfs = sib.lfs
        size = sib.size if sib.size is not None else (lfs.size if lfs is not None else None)
        if size is None:
            raise ModelError(f"The Hub did not give the size of '{sib.rfilename}'.")
        files.append(
            RemoteFile(
                sib.rfilename, int(size), lfs.sha256 if lfs is not None else None, sib.blob_id
            )
        )
    if not info.sha:
        raise ModelError(f"The Hub did not say which commit '{repo_id}' is at.")
    return info.sha, files


# -- local state ----------------------------------------------------------------
def _git_blob_sha1(path: Path, size: int) -> str:
    digest = hashlib.sha1(f"blob {size}\0".encode())
    with path.open("rb") as fh:
        while block := fh.read(CHUNK * 4):
            digest.update(block)
    return digest.hexdigest()


def check_file(path: Path, remote: RemoteFile) -> CheckedFile:
    """Check a complete download; :class:`ModelError` (and the file removed) on mismatch."""
    size = path.stat().st_size
    sha256 = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK * 4):
            sha256.update(block)
    digest = sha256.hexdigest()
    if size != remote.size:
        how, ok = "size", False
    elif remote.sha256:
        how, ok = "hub-sha256", digest == remote.sha256
    elif remote.git_sha1:
        how, ok = "git-blob-sha1", _git_blob_sha1(path, size) == remote.git_sha1
    else:
        how, ok = "size-only", True
    if not ok:
        path.unlink(missing_ok=True)
        raise ModelError(
            f"'{remote.name}' does not match the checksum the Hub gives ({how}); the file was "
            "deleted. Try again; if it happens again, the mirror or a proxy is changing files."
        )
    return CheckedFile(remote.name, size, digest, how)


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / STATE_NAME).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_state(folder: Path, state: dict[str, Any]) -> None:
    tmp = folder / f"{STATE_NAME}.tmp"
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    tmp.replace(folder / STATE_NAME)


def free_bytes(path: Path) -> int:
    """Free space on the disk holding ``path`` (the nearest existing parent)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_room(folder: Path, to_fetch: int, total: int, free: FreeBytesFn = free_bytes) -> None:
    """Refuse to start when the download plus the converted model would not fit."""
    need = to_fetch + int(total * CONVERSION_FACTOR) + MARGIN_BYTES
    have = free(folder)
    if have < need:
        raise ModelError(
            f"Not enough disk space: downloading and converting this model needs about "
            f"{_gb(need)} free on {folder.anchor or folder}, and {_gb(have)} is free. "
            "Free some space (or remove old model versions) and try again."
        )


# -- progress -------------------------------------------------------------------
class Meter:
    """Bytes done of a total, with a smoothed speed for 'time left'."""

    def __init__(self, total: int, done: int, progress: ProgressFn, interval: float = 0.25):
        self.total = max(1, total)
        self.done = done
        self.progress = progress
        self.interval = interval
        self._start = time.monotonic()
        self._start_bytes = done
        self._last = 0.0

    def add(self, n: int, name: str, force: bool = False) -> None:
        self.done += n
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.progress(self.done / self.total, self.text(name, now))

    def text(self, name: str, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = now - self._start
        fetched = self.done - self._start_bytes
        left = ""
        if elapsed > 1.0 and fetched > 0:
            seconds = (self.total - self.done) / (fetched / elapsed)
            left = f", {format_duration(seconds)} left"
        return f"Downloading {name}: {_gb(self.done)} of {_gb(self.total)}{left}"


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return "under a minute" if seconds >= 1 else "a moment"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


# -- fetching -------------------------------------------------------------------
def _fetch(url: str, part: Path, remote: RemoteFile, headers: dict[str, str], meter: Meter) -> None:
    """Append the rest of ``remote`` to ``part``, resuming after cut connections."""
    import requests
    from huggingface_hub.utils import hf_raise_for_status

    attempts = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if have >= remote.size:
            return
        try:
            with requests.get(
                url,
                headers={**headers, "Range": f"bytes={have}-"},
                stream=True,
                timeout=TIMEOUT_S,
                allow_redirects=True,
            ) as resp:
                if resp.status_code == 416:  # nothing left to send: the part is complete
                    return
                hf_raise_for_status(resp)
                mode = "ab"
                if resp.status_code != 206 and have:  # the server ignored the range
                    meter.add(-have, remote.name)
                    mode = "wb"
                with part.open(mode) as fh:
                    for block in resp.iter_content(NET_CHUNK):
                        fh.write(block)
                        meter.add(len(block), remote.name)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ):
            attempts += 1
            if attempts > RETRIES:
                raise
            time.sleep(min(8.0, 0.5 * 2**attempts))
            continue
        except OSError as exc:
            raise ModelError(
                f"Cannot write '{part.name}' ({exc.strerror or exc}). "
                "If the disk is full, free some space and run the download again: it "
                "continues where it stopped."
            ) from exc
        if part.stat().st_size >= remote.size:
            return
        attempts += 1  # the server closed the stream early
        if attempts > RETRIES:
            raise ModelError(f"The Hub kept cutting the download of '{remote.name}'.")


def download_snapshot(
    repo_id: str,
    folder: str | Path,
    revision: str | None = None,
    patterns: Sequence[str] = WHISPER_PATTERNS,
    token: str | None = None,
    progress: ProgressFn | None = None,
    free: FreeBytesFn = free_bytes,
) -> Snapshot:
    """Download (or finish downloading) ``repo_id`` into ``folder``; every file checked.

    ``folder`` keeps partial files (``*.part``) and a small state file between
    runs; a run for another commit of the repository starts over.
    """
    progress = progress or (lambda _f, _t: None)
    folder = Path(folder)
    progress(0.0, f"Asking {_endpoint()} about {repo_id}")
    commit, remote_files = list_remote(repo_id, revision, token)
    files = select_files(remote_files, patterns)
    if not files:
        raise ModelError(f"'{repo_id}' has none of the files Jazba needs ({', '.join(patterns)}).")
    folder.mkdir(parents=True, exist_ok=True)
    state = _read_state(folder)
    if state.get("repo_id") != repo_id or state.get("commit") != commit:
        for leftover in folder.iterdir():  # another model or commit: start over
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
        state = {"repo_id": repo_id, "commit": commit, "checked": {}}
        _write_state(folder, state)
    checked: dict[str, Any] = state.setdefault("checked", {})

    def have(f: RemoteFile) -> int:
        if f.name in checked and (folder / f.name).is_file():
            return f.size
        part = folder / (f.name + PART_SUFFIX)
        return min(f.size, part.stat().st_size) if part.is_file() else 0

    total = sum(f.size for f in files)
    already = sum(have(f) for f in files)
    check_room(folder, total - already, total, free)
    meter = Meter(total, already, progress)
    headers = {"Authorization": f"Bearer {tok}"} if (tok := _token(token)) else {}
    from huggingface_hub import hf_hub_url

    start_bytes = already
    result = []
    for remote in files:
        target = folder / remote.name
        if remote.name in checked and target.is_file():
            result.append(CheckedFile(**checked[remote.name]))
            continue
        part = folder / (remote.name + PART_SUFFIX)
        part.parent.mkdir(parents=True, exist_ok=True)
        url = hf_hub_url(repo_id, remote.name, revision=commit, endpoint=_endpoint())
        try:
            _fetch(url, part, remote, headers, meter)
        except ModelError:
            raise
        except Exception as exc:
            raise _hub_error(exc, repo_id, revision) from exc
        progress(meter.done / meter.total, f"Checking {remote.name}")
        entry = check_file(part, remote)
        part.replace(target)
        checked[remote.name] = asdict(entry)
        _write_state(folder, state)
        result.append(entry)
        meter.add(0, remote.name, force=True)
    progress(1.0, f"Downloaded {repo_id}")
    return Snapshot(folder, repo_id, commit, tuple(result), meter.done - start_bytes)
