"""K-means codebooks in numpy: frame features -> unit ids, without scikit-learn.

The centroids are fitted by scikit-learn's MiniBatchKMeans in the unit-LM
subprocess and stored as ``codebook.npy`` ``(K, dim)`` float32; assigning a
frame is a nearest-centroid search (squared Euclidean), done here in blocks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop_app.core.errors import ModelError

CODEBOOK_FILE = "codebook.npy"
SIZES = (50, 100, 200, 500)


def load_codebook(path: str | Path) -> np.ndarray:
    """The ``(K, dim)`` float32 centroids stored at ``path``."""
    path = Path(path)
    try:
        centroids = np.load(path, allow_pickle=False)
    except FileNotFoundError as exc:
        raise ModelError(f"The unit codebook '{path.name}' is missing in {path.parent}.") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"The unit codebook '{path.name}' is damaged ({exc}).") from exc
    if centroids.ndim != 2 or centroids.shape[0] < 2 or not np.all(np.isfinite(centroids)):
        raise ModelError(f"The unit codebook '{path.name}' is not a valid (K, dim) table.")
    return np.ascontiguousarray(centroids, dtype=np.float32)


def assign(features: np.ndarray, centroids: np.ndarray, block: int = 4096) -> np.ndarray:
    """Nearest centroid of each row of ``features`` ``(frames, dim)``; int16 unit ids."""
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[1] != centroids.shape[1]:
        raise ModelError(
            f"Features of width {features.shape[-1]} do not fit a codebook of width "
            f"{centroids.shape[1]}; the codebook was fitted on another encoder or layer."
        )
    c_sq = np.einsum("kd,kd->k", centroids, centroids)
    out = np.empty(features.shape[0], dtype=np.int16)
    for start in range(0, features.shape[0], block):
        x = features[start : start + block]
        # |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is the same for every c.
        out[start : start + block] = np.argmin(c_sq[None, :] - 2.0 * (x @ centroids.T), axis=1)
    return out


def collapse(units: np.ndarray) -> np.ndarray:
    """Merge runs of the same unit (``5 5 5 9 9 5`` -> ``5 9 5``)."""
    units = np.asarray(units).reshape(-1)
    if units.size == 0:
        return units
    keep = np.ones(units.size, dtype=bool)
    keep[1:] = units[1:] != units[:-1]
    return units[keep]
