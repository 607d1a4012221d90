"""Subprocess jobs: fit a k-means codebook on a project's audio, extract units.

Both read a JSON spec written by the app (see
:mod:`desktop_app.services.unit_lm`)::

    {"features": FeatureSpec, "graph": "features.onnx or null",
     "audio": [{"path": "...wav", "key": "sha256[:16]", "seconds": 12.3}],
     "cache_dir": "<project>/cache/units/<codebook key or ''>",
     "k": 100, "max_frames": 150000, "seed": 0, "device": "cpu",
     "codebook": "codebook.npy (extract only)"}

``fit`` extracts the features of every recording once (kept as float16 in
a scratch folder), fits MiniBatchKMeans on a random sample of at most
``max_frames`` frames, writes ``codebook.npy`` and then the unit array of every
recording into the cache. ``extract`` only assigns units with a codebook.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from desktop_app.core.errors import JazbaError, ModelError
from desktop_app.units.codebook import CODEBOOK_FILE, assign, load_codebook
from desktop_app.units.extract import audio_pieces, save_units
from desktop_app.units.features import (
    HF_KIND,
    SAMPLE_RATE,
    WHISPER_KIND,
    FeatureSpec,
    WhisperLayerFeatures,
)

ProgressFn = Callable[[float, str], None]


class Extractor(Protocol):
    dim: int

    def windows(self, audio: np.ndarray) -> Any: ...


def make_extractor(spec: dict[str, Any]) -> Extractor:
    features = FeatureSpec.from_dict(spec["features"])
    device = str(spec.get("device") or "cpu")
    if features.kind == WHISPER_KIND:
        return WhisperLayerFeatures(spec["graph"], device=device)
    if features.kind == HF_KIND:
        from desktop_app.unitlm.hf_features import HFLayerFeatures

        return HFLayerFeatures(features.source, features.layer, device=device)
    raise ModelError(f"Unknown unit feature kind '{features.kind}'.")


def _recording_features(extractor: Extractor, path: Path) -> np.ndarray | None:
    parts = [w for piece in audio_pieces(path) for w in extractor.windows(piece)]
    return np.concatenate(parts, axis=0) if parts else None


def fit(spec: dict[str, Any], out: Path, progress: ProgressFn) -> dict[str, Any]:
    from sklearn.cluster import MiniBatchKMeans

    k = int(spec["k"])
    audio = spec["audio"]
    if not audio:
        raise JazbaError("The project has no audio to learn speech units from.")
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    max_frames = int(spec.get("max_frames", 150_000))
    total_s = sum(float(a["seconds"]) for a in audio) or 1.0
    keep_p = min(1.0, max_frames / (total_s * 50.0))
    progress(0.0, "Loading the feature encoder")
    extractor = make_extractor(spec)
    scratch = out / ".features"
    scratch.mkdir(parents=True, exist_ok=True)
    sample: list[np.ndarray] = []
    done_s, skipped = 0.0, []
    t0 = time.perf_counter()
    try:
        for item in audio:
            feats = _recording_features(extractor, Path(item["path"]))
            done_s += float(item["seconds"])
            progress(0.7 * done_s / total_s, f"Features of {done_s:.0f}/{total_s:.0f} s of audio")
            if feats is None:
                skipped.append(item["key"])
                continue
            np.save(scratch / f"{item['key']}.npy", feats.astype(np.float16))
            sample.append(feats[rng.random(feats.shape[0]) < keep_p])
        extract_s = time.perf_counter() - t0
        data = np.concatenate(sample, axis=0) if sample else np.zeros((0, 1), np.float32)
        if data.shape[0] < max(2 * k, 10):
            raise JazbaError(
                f"Too little audio for {k} units: {data.shape[0]} frames of 20 ms; "
                f"use a smaller K or add recordings (at least {max(2 * k, 10)} frames)."
            )
        progress(0.72, f"Fitting {k} units on {data.shape[0]} frames")
        km = MiniBatchKMeans(
            n_clusters=k,
            batch_size=min(4096, data.shape[0]),
            n_init=3,
            max_iter=100,
            random_state=int(spec.get("seed", 0)),
        ).fit(data)
        centroids = km.cluster_centers_.astype(np.float32)
        np.save(out / CODEBOOK_FILE, centroids, allow_pickle=False)
        progress(0.9, "Assigning units")
        cache = Path(spec["cache_dir"]) if spec.get("cache_dir") else None
        used = np.zeros(k, dtype=np.int64)
        for item in audio:
            file = scratch / f"{item['key']}.npy"
            if not file.is_file():
                continue
            units = assign(np.load(file).astype(np.float32), centroids)
            used += np.bincount(units, minlength=k)
            if cache is not None:
                save_units(cache / f"{item['key']}.npy", units)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    progress(1.0, "Units ready")
    return {
        "k": k,
        "dim": int(centroids.shape[1]),
        "frames_fitted": int(data.shape[0]),
        "inertia_per_frame": float(km.inertia_ / data.shape[0]),
        "units_used": int((used > 0).sum()),
        "audio_seconds": total_s,
        "extract_seconds": extract_s,
        "extract_x_real_time": total_s / extract_s if extract_s > 0 else 0.0,
        "skipped": skipped,
    }


def extract(spec: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    """Write the unit array of each listed recording into ``cache_dir``."""
    centroids = load_codebook(spec["codebook"])
    progress(0.0, "Loading the feature encoder")
    extractor = make_extractor(spec)
    cache = Path(spec["cache_dir"])
    total_s = sum(float(a["seconds"]) for a in spec["audio"]) or 1.0
    done_s, skipped = 0.0, []
    t0 = time.perf_counter()
    for item in spec["audio"]:
        feats = _recording_features(extractor, Path(item["path"]))
        if feats is None:
            skipped.append(item["key"])
        else:
            save_units(cache / f"{item['key']}.npy", assign(feats, centroids))
        done_s += float(item["seconds"])
        progress(done_s / total_s, f"Units of {done_s:.0f}/{total_s:.0f} s of audio")
    wall = time.perf_counter() - t0
    return {
        "audio_seconds": total_s,
        "extract_seconds": wall,
        "extract_x_real_time": total_s / wall if wall > 0 else 0.0,
        "skipped": skipped,
        "sample_rate": SAMPLE_RATE,
    }
