"""Offline model bundles: one file that carries an installed version to a computer
with no internet (``jazba models pack`` / ``jazba models install FILE``).

A bundle is an uncompressed tar (ONNX weights do not compress) whose first
member, ``jazba-bundle.json``, lists every file of the version folder with its
size and SHA-256; the files follow under ``model/``. Installing streams each
member into the registry's staging area while hashing it, refuses anything
not listed, any path that leaves the folder, and any file whose checksum does
not match, then checks the model opens and moves the folder into place: a
damaged or truncated bundle leaves nothing behind. The version keeps its id,
so projects that name it find it on the other computer.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from desktop_app.asr.manifest import (
    MANIFEST_NAME,
    Manifest,
    read_manifest,
    validate_onnx_dir,
    verify_files,
)
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import Progress

if TYPE_CHECKING:
    from desktop_app.asr.registry import ModelRegistry

SUFFIX = ".jazba-model"
HEADER = "jazba-bundle.json"
BUNDLE_VERSION = 1
PREFIX = "model/"
CHUNK = 4 << 20


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def pack(registry: ModelRegistry, model_id: str, file: str | Path, state: Progress) -> Path:
    """Write the version ``model_id`` to one bundle file; returns its path.

    The version is checked first (a damaged model is not passed on). The file
    is written beside its final name and renamed at the end.
    """
    folder = registry.path(model_id)
    manifest = read_manifest(folder)
    target = Path(file)
    if target.suffix != SUFFIX:
        target = target.with_name(target.name + SUFFIX)
    state.set_progress(0.0, f"Checking {manifest.name}")
    verify_files(folder, manifest)
    files = list(_walk(folder))
    entries = [
        {"name": p.relative_to(folder).as_posix(), "size": p.stat().st_size, "sha256": _hash(p)}
        for p in files
    ]
    header = {
        "bundle_version": BUNDLE_VERSION,
        "model_id": manifest.id,
        "name": manifest.name,
        "files": entries,
    }
    total = sum(e["size"] for e in entries) or 1
    need = total + (64 << 20)
    free = shutil.disk_usage(target.parent if target.parent.exists() else Path.cwd()).free
    if free < need:
        raise ModelError(
            f"Not enough disk space for the bundle: it needs {need / 1e9:.1f} GB on "
            f"{target.parent}, and {free / 1e9:.1f} GB is free."
        )
    tmp = target.with_name(f".{target.name}.part")
    done = 0
    try:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(header, indent=1).encode()
            info = tarfile.TarInfo(HEADER)
            info.size = len(data)
            tar.addfile(info, _BytesReader(data))
            for path, entry in zip(files, entries, strict=True):
                state.set_progress(done / total, f"Packing {entry['name']}")
                info = tarfile.TarInfo(PREFIX + entry["name"])
                info.size = entry["size"]
                info.mode = 0o644
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
                done += entry["size"]
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"Cannot write the bundle '{target.name}': {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    state.set_progress(1.0, f"Saved {target.name}")
    return target


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        chunk, self.pos = self.data[self.pos : end], min(end, len(self.data))
        return chunk


def _damaged(file: Path, why: str) -> ModelError:
    return ModelError(
        f"'{file.name}' is not a usable model bundle: {why}. Copy it again from the computer "
        "that made it, or make a new bundle there."
    )


def _safe_name(name: str) -> str | None:
    """The member's path under the version folder, or None if it is not allowed."""
    if not name.startswith(PREFIX):
        return None
    rel = PurePosixPath(name[len(PREFIX) :])
    if rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts):
        return None
    return rel.as_posix()


def _read_header(tar: tarfile.TarFile, file: Path) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != HEADER or not first.isfile() or first.size > 16 << 20:
        raise _damaged(file, "its table of contents is missing")
    raw = tar.extractfile(first)
    assert raw is not None
    try:
        header = json.loads(raw.read().decode("utf-8"))
        if int(header["bundle_version"]) > BUNDLE_VERSION:
            raise ModelError(f"'{file.name}' was made by a newer Jazba; update Jazba.")
        for entry in header["files"]:
            entry["size"] = int(entry["size"])
            str(entry["name"]), str(entry["sha256"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise _damaged(file, "its table of contents cannot be read") from exc
    return header


def _copy_checked(src: IO[bytes], dst: Path, entry: dict[str, Any], file: Path) -> None:
    digest = hashlib.sha256()
    size = 0
    with dst.open("wb") as out:
        while block := src.read(CHUNK):
            digest.update(block)
            out.write(block)
            size += len(block)
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        raise _damaged(file, f"'{entry['name']}' does not match its checksum")


def install_bundle(registry: ModelRegistry, file: str | Path, state: Progress) -> Manifest:
    """Install a bundle with no network; :class:`ModelError` and nothing left on failure."""
    file = Path(file)
    if not file.is_file():
        raise ModelError(f"The bundle '{file}' does not exist.")
    free = shutil.disk_usage(registry.root if registry.root.exists() else file.parent).free
    if free < file.stat().st_size + (64 << 20):
        raise ModelError(
            f"Not enough disk space to install '{file.name}': it needs "
            f"{file.stat().st_size / 1e9:.1f} GB, and {free / 1e9:.1f} GB is free."
        )
    staging = registry._staging_dir("bundle")
    try:
        build = staging / "model"
        build.mkdir()
        try:
            with tarfile.open(file, "r:") as tar:
                header = _read_header(tar, file)
                expected = {e["name"]: e for e in header["files"]}
                total = sum(e["size"] for e in expected.values()) or 1
                done = 0
                seen: set[str] = set()
                while (member := tar.next()) is not None:
                    rel = _safe_name(member.name)
                    if rel is None or rel not in expected or rel in seen or not member.isfile():
                        raise _damaged(file, f"it holds an unexpected entry '{member.name}'")
                    state.set_progress(0.9 * done / total, f"Installing {rel}")
                    dst = build / rel
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None
                    _copy_checked(src, dst, expected[rel], file)
                    seen.add(rel)
                    done += expected[rel]["size"]
        except (tarfile.TarError, EOFError) as exc:
            raise _damaged(file, "it is truncated or not a bundle") from exc
        missing = sorted(set(expected) - seen)
        if missing:
            raise _damaged(file, f"it ends before {missing[0]} (truncated)")
        if MANIFEST_NAME not in seen:
            raise _damaged(file, "it has no model manifest")
        state.set_progress(0.92, "Checking the model")
        manifest = read_manifest(build)
        verify_files(build, manifest)
        validate_onnx_dir(build)
        if (registry.root / manifest.id).exists():
            raise ModelError(f"'{manifest.name}' ({manifest.id}) is already installed.")
        build.replace(registry.root / manifest.id)
        if registry.active_id() is None:
            registry.set_active(manifest.id)
        state.set_progress(1.0, f"Installed {manifest.name}")
        return manifest
    except OSError as exc:
        raise ModelError(f"Cannot install '{file.name}': {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
