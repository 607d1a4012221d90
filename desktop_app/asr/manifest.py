"""On-disk layout of installed models: manifests, checksums, ``active.json``, validation.

A model version is a folder holding the ONNX runtime files and a manifest that
says where they came from and what their SHA-256 checksums are. The manifest
mirrors the project's ``model_versions`` table (id, name, source, parent_id,
kind, metrics, created_at) so a project can record which model produced what.
:func:`validate_onnx_dir` is the gate every folder passes before it is
installed. No PyTorch here: only json, hashlib, tokenizers and onnxruntime.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
ACTIVE_NAME = "active.json"
SCHEMA_VERSION = 1
FORMAT = "whisper-onnx-merged/1"
#: A CTC acoustic model (wav2vec2, XLS-R, MMS, ...): one graph, audio in, logits out.
CTC_FORMAT = "ctc-onnx/1"

ENCODER_FILE = "encoder_model.onnx"
DECODER_FILE = "decoder_model_merged.onnx"
#: Files every model version has; ONNX external data (``*.onnx_data``) comes along.
REQUIRED_FILES = (
    ENCODER_FILE,
    DECODER_FILE,
    "config.json",
    "generation_config.json",
    "preprocessor_config.json",
    "tokenizer.json",
)
ALIGN_FILE = "decoder_align.onnx"  # cross-attention weights of the alignment heads
DECODER_INT8_FILE = "decoder_model_merged_int8.onnx"  # int8 weights, see WhisperOnnx(quantized=)
#: Fused attention + int8 block-quantised weights, see ``desktop_app.modelbuild.optimize_onnx``.
ENCODER_INT8_FILE = "encoder_model_int8.onnx"
#: Copied when present: they let ``transformers.AutoTokenizer`` load the folder too.
OPTIONAL_FILES = ("tokenizer_config.json", "special_tokens_map.json")
#: Extra graphs a version may have: word timings, int8 graphs. Older folders lack them.
OPTIONAL_GRAPHS = (ALIGN_FILE, DECODER_INT8_FILE, ENCODER_INT8_FILE)
HF_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")

CTC_MODEL_FILE = "model.onnx"  # input_values [batch, samples] -> logits [batch, frames, vocab]
CTC_INT8_FILE = "model_int8.onnx"  # dynamic int8 weights, see CtcOnnx(quantized=)
CTC_CONFIG_FILE = "ctc_config.json"  # language, blank, word delimiter, frame stride
#: Files every CTC model version has (``vocab.json``: flat token -> id).
CTC_REQUIRED_FILES = (CTC_MODEL_FILE, "config.json", "preprocessor_config.json", "vocab.json")
CTC_OPTIONAL_FILES = (CTC_CONFIG_FILE, CTC_INT8_FILE, *OPTIONAL_FILES)
#: ``model_type`` values of the Hugging Face CTC families Jazba exports (``*ForCTC``).
CTC_MODEL_TYPES = (
    "wav2vec2",
    "wav2vec2-conformer",
    "wav2vec2-bert",
    "hubert",
    "wavlm",
    "data2vec-audio",
    "sew",
    "sew-d",
    "unispeech",
    "unispeech-sat",
)


class ModelSource(StrEnum):
    """Where a model version came from."""

    PYPI_DEFAULT = "pypi-default"
    HF_DIR = "hf-local-dir"
    HF_HUB = "hf-hub"
    CT2_DIR = "ct2-dir"
    ONNX_DIR = "onnx-dir"
    FINETUNED = "finetuned"


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """What ``manifest.json`` holds."""

    id: str
    name: str
    source: str
    source_ref: str = ""
    parent_id: str | None = None
    kind: str = "asr"
    languages: list[str] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)
    created_at: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    catalog_id: str | None = None  # the catalog entry it was installed from
    #: What was downloaded and how each file was checked (name, size, sha256, checked_against).
    source_files: list[dict[str, Any]] = field(default_factory=list)
    format: str = FORMAT
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        try:
            if int(data.get("schema_version", 1)) > SCHEMA_VERSION:
                raise ModelError(
                    f"Model '{data.get('id')}' was installed by a newer Jazba; update Jazba."
                )
            files = [
                FileEntry(str(f["name"]), int(f["size"]), str(f["sha256"])) for f in data["files"]
            ]
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            return cls(**{**known, "files": files})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"The model manifest is invalid: {exc!r}.") from exc

    def file(self, name: str) -> FileEntry | None:
        return next((f for f in self.files if f.name == name), None)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sha256_file(path: Path, chunk: int = 4 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def is_ctc_dir(folder: Path) -> bool:
    """Whether ``folder`` holds a CTC ONNX model (``model.onnx``) rather than Whisper."""
    return (folder / CTC_MODEL_FILE).is_file() and not (folder / ENCODER_FILE).is_file()


def format_of(folder: Path) -> str:
    """The manifest ``format`` of the runtime files in ``folder``."""
    return CTC_FORMAT if is_ctc_dir(folder) else FORMAT


def runtime_files(folder: Path) -> list[str]:
    """Names of the runtime files present in ``folder`` (required, optional, external data)."""
    if is_ctc_dir(folder):
        wanted: tuple[str, ...] = (*CTC_REQUIRED_FILES, *CTC_OPTIONAL_FILES)
        graphs: tuple[str, ...] = (CTC_MODEL_FILE, CTC_INT8_FILE)
    else:
        wanted = (*REQUIRED_FILES, *OPTIONAL_FILES, *OPTIONAL_GRAPHS)
        graphs = (ENCODER_FILE, DECODER_FILE)
    names = [n for n in wanted if (folder / n).is_file()]
    names += sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith(graphs) and p.name.endswith("_data")
    )
    return names


def hash_files(folder: Path, names: list[str]) -> list[FileEntry]:
    return [
        FileEntry(name, (folder / name).stat().st_size, sha256_file(folder / name))
        for name in names
    ]


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(
            f"'{folder.name}' has no {MANIFEST_NAME}; it is not a model version."
        ) from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read '{path}': {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"'{path}' is not a JSON object.")
    return Manifest.from_dict(data)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write atomically: a crash leaves the old manifest or the new one."""
    path = folder / MANIFEST_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)


def verify_files(
    folder: Path, manifest: Manifest, progress: Callable[[float, str], None] | None = None
) -> None:
    """Check each listed file's size and SHA-256; raise ModelError naming the first bad one."""
    total = sum(f.size for f in manifest.files) or 1
    done = 0
    for entry in manifest.files:
        if progress is not None:
            progress(done / total, f"Checking {entry.name}")
        path = folder / entry.name
        if not path.is_file():
            problem = "is missing"
        elif path.stat().st_size != entry.size or sha256_file(path) != entry.sha256:
            problem = "does not match its checksum"
        else:
            done += entry.size
            continue
        raise ModelError(
            f"Model '{manifest.name}' is damaged: '{entry.name}' {problem}. "
            "Remove the model and install it again."
        )
    if progress is not None:
        progress(1.0, "Model files are intact")


@dataclass
class ActiveState:
    """``active.json``: the active version and the ones active before it (oldest first)."""

    active: str | None = None
    history: list[str] = field(default_factory=list)


def read_active(root: Path) -> ActiveState:
    """The registry's active state; a missing or unreadable file means none."""
    path = root / ACTIVE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ActiveState(data.get("active"), [str(h) for h in data.get("history", [])])
    except FileNotFoundError:
        return ActiveState()
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        log.warning("Ignoring unreadable %s: %s", path, exc)
        return ActiveState()


def write_active(root: Path, state: ActiveState) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"{ACTIVE_NAME}.tmp"
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    tmp.replace(root / ACTIVE_NAME)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"{what}: '{path.name}' is missing.") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"{what}: cannot read '{path.name}' ({exc}).") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{what}: '{path.name}' is not a JSON object.")
    return data


def check_whisper_config(folder: Path, what: str) -> dict[str, Any]:
    """``config.json`` of ``folder``; anything but a Whisper model is refused."""
    config = _read_json(folder / "config.json", what)
    model_type = config.get("model_type")
    if model_type != "whisper":
        raise ModelError(
            f"{what}: the model type is '{model_type}', but Jazba can only use Whisper models."
        )
    return config


def is_ctc_config(config: dict[str, Any]) -> bool:
    """Whether an HF ``config.json`` describes a ``*ForCTC`` model of a family Jazba exports."""
    architectures = config.get("architectures") or []
    if any(str(a).endswith("ForCTC") for a in architectures):
        return True
    return not architectures and config.get("model_type") in CTC_MODEL_TYPES


def check_hf_config(folder: Path, what: str) -> tuple[str, dict[str, Any]]:
    """``("whisper" | "ctc", config.json)`` of an HF checkpoint; other models are refused."""
    config = _read_json(folder / "config.json", what)
    if config.get("model_type") == "whisper":
        return "whisper", config
    if is_ctc_config(config):
        return "ctc", config
    raise ModelError(
        f"{what}: the model type is '{config.get('model_type')}', but Jazba can only use "
        "Whisper models and CTC models (wav2vec2, XLS-R, MMS, HuBERT, WavLM: *ForCTC)."
    )


def ctc_language(folder: Path) -> str | None:
    """The language a CTC folder transcribes (``ctc_config.json``), or None when unknown."""
    path = folder / CTC_CONFIG_FILE
    if not path.is_file():
        return None
    language = _read_json(path, f"Model folder '{folder.name}'").get("language")
    return str(language) if language else None


def languages_of(folder: Path) -> list[str]:
    """Language codes from ``generation_config.json`` (``['en']`` if not multilingual).

    A CTC folder has one fixed language (``ctc_config.json``; ``[]`` when unknown).
    """
    if is_ctc_dir(folder):
        language = ctc_language(folder)
        return [language] if language else []
    gen = _read_json(folder / "generation_config.json", f"Model folder '{folder.name}'")
    lang_to_id = gen.get("lang_to_id") or {}
    if not lang_to_id:
        return ["en"]
    return sorted(token.strip("<|>") for token in lang_to_id)


def validate_onnx_dir(folder: Path, load: bool = True) -> None:
    """Raise :class:`ModelError` unless ``folder`` is a usable ONNX Whisper folder.

    Checks the required files, the configs, the tokenizer and (``load``) that
    ONNX Runtime can open both graphs and that they have Whisper's inputs.
    """
    what = f"Model folder '{folder.name}'"
    if not folder.is_dir():
        raise ModelError(f"{what} does not exist.")
    if is_ctc_dir(folder):
        _validate_ctc_dir(folder, what, load)
        return
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"{what} is incomplete: {', '.join(missing)} missing.")
    config = check_whisper_config(folder, what)
    pre = _read_json(folder / "preprocessor_config.json", what)
    _read_json(folder / "generation_config.json", what)
    if pre.get("feature_size", config.get("num_mel_bins")) != config.get("num_mel_bins", 80):
        raise ModelError(f"{what}: preprocessor and model disagree on the number of mel bins.")
    from tokenizers import Tokenizer

    try:
        Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises a bare Exception on bad JSON.
        raise ModelError(f"{what}: 'tokenizer.json' is not a valid tokenizer ({exc}).") from exc
    if load:
        _check_graphs(folder, what)


def _check_graphs(folder: Path, what: str) -> None:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    expected = {
        "encoder_model.onnx": {"input_features"},
        "decoder_model_merged.onnx": {"input_ids", "encoder_hidden_states", "use_cache_branch"},
    }
    for name, inputs in expected.items():
        try:
            session = ort.InferenceSession(
                str(folder / name), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # ORT raises its own exception types for bad protobufs.
            raise ModelError(f"{what}: '{name}' is not a readable ONNX model ({exc}).") from exc
        have = {i.name for i in session.get_inputs()}
        if not inputs <= have:
            raise ModelError(
                f"{what}: '{name}' lacks the inputs {sorted(inputs - have)}; "
                "export it with the task automatic-speech-recognition-with-past."
            )


def _validate_ctc_dir(folder: Path, what: str, load: bool) -> None:
    """The CTC half of :func:`validate_onnx_dir`: files, configs, vocabulary, graph."""
    missing = [name for name in CTC_REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"{what} is incomplete: {', '.join(missing)} missing.")
    config = _read_json(folder / "config.json", what)
    if not is_ctc_config(config):
        raise ModelError(f"{what}: 'config.json' does not describe a CTC model (*ForCTC).")
    _read_json(folder / "preprocessor_config.json", what)
    vocab = _read_json(folder / "vocab.json", what)
    if not vocab or not all(isinstance(v, int) for v in vocab.values()):
        raise ModelError(f"{what}: 'vocab.json' is not a flat token -> id mapping.")
    if (folder / CTC_CONFIG_FILE).is_file():
        _read_json(folder / CTC_CONFIG_FILE, what)
    if load:
        graphs = [n for n in (CTC_MODEL_FILE, CTC_INT8_FILE) if (folder / n).is_file()]
        for name in graphs:
            session = _open_graph(folder / name, what)
            have = {i.name for i in session.get_inputs()}
            outputs = session.get_outputs()
            if "input_values" not in have or not outputs:
                raise ModelError(f"{what}: '{name}' does not take 'input_values'.")
            vocab_dim = outputs[0].shape[-1]
            if isinstance(vocab_dim, int) and vocab_dim < max(vocab.values()) + 1:
                raise ModelError(
                    f"{what}: '{name}' has {vocab_dim} outputs but 'vocab.json' "
                    f"needs {max(vocab.values()) + 1}."
                )


def _open_graph(path: Path, what: str) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own exception types for bad protobufs.
        raise ModelError(f"{what}: '{path.name}' is not a readable ONNX model ({exc}).") from exc


def detect_kind(folder: Path) -> ModelSource:
    """Which importer fits ``folder``: ONNX (Whisper or CTC), CTranslate2 or Hugging Face."""
    if (folder / "encoder_model.onnx").is_file() or is_ctc_dir(folder):
        return ModelSource.ONNX_DIR
    if (folder / "model.bin").is_file():
        return ModelSource.CT2_DIR
    if any((folder / w).is_file() for w in HF_WEIGHTS):
        check_hf_config(folder, f"'{folder.name}'")
        return ModelSource.HF_DIR
    raise ModelError(
        f"'{folder.name}' holds no Whisper model that Jazba can import (nor a CTC one)."
    )
