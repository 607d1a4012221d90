"""Min/max peak pyramid: a waveform of any length, drawn instantly.

Level 0 holds the min and max of every ``bin_samples`` samples (32 samples =
2 ms at 16 kHz); each next level merges ``factor`` (4) bins of the one below,
up to a single bin for the whole file. A 2-hour recording takes about 19 MB.

The pyramid is built once, incrementally, while a file is imported
(:class:`PeakPyramidBuilder`), saved to one file, and memory-mapped on load, so
opening a long recording reads almost nothing from disk. :meth:`PeakPyramid.query`
answers "n_bins min/max pairs for this time range" from the coarsest level that
still has enough detail.

File layout (little-endian): the 8-byte magic ``JZPEAKS1``, a uint32 header
length, a JSON header, padding to a 64-byte boundary, then the int16 array of
every level's ``(min, max)`` rows, level 0 first.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
from pathlib import Path

import numpy as np

MAGIC = b"JZPEAKS1"
SCALE = 32767
"""Peaks are stored as int16: ``value * SCALE``, rounded outwards."""

_ALIGN = 64


class PeakPyramid:
    """Min/max peaks of one mono signal at several resolutions."""

    def __init__(
        self,
        rate: int,
        n_samples: int,
        levels: list[np.ndarray],
        bin_samples: int = 32,
        factor: int = 4,
    ) -> None:
        if not levels:
            raise ValueError("a peak pyramid needs at least one level")
        self.rate = rate
        self.n_samples = n_samples
        self.bin_samples = bin_samples
        self.factor = factor
        self._levels = levels

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate

    @property
    def n_levels(self) -> int:
        return len(self._levels)

    def level_bin_samples(self, level: int) -> int:
        """Samples covered by one bin of ``level``."""
        return int(self.bin_samples * self.factor**level)

    def level(self, level: int) -> np.ndarray:
        """The raw int16 ``(bins, 2)`` array of one level (read-only when loaded)."""
        return self._levels[level]

    def choose_level(self, start_s: float, end_s: float, n_bins: int) -> int:
        """The coarsest level with at least ``n_bins`` bins between the two times."""
        span = (end_s - start_s) * self.rate
        for level in range(self.n_levels - 1, -1, -1):
            if span / self.level_bin_samples(level) >= n_bins:
                return level
        return 0

    def query(self, start_s: float, end_s: float, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
        """``n_bins`` (mins, maxs) float32 pairs evenly covering ``[start_s, end_s)``.

        Output bin ``i`` covers ``start_s + i * w`` to ``start_s + (i + 1) * w``
        with ``w = (end_s - start_s) / n_bins``; its values are the min and max of
        every pyramid bin it overlaps, so the drawn envelope never hides a peak.
        Bins outside the recording are 0. Zoomed in past level 0, neighbouring
        output bins repeat the same values (draw raw samples there instead).
        """
        if n_bins <= 0:
            raise ValueError(f"n_bins must be positive, got {n_bins}")
        if not end_s > start_s:
            raise ValueError(f"empty time range: {start_s} .. {end_s}")
        level = self.choose_level(start_s, end_s, n_bins)
        data = self._levels[level]
        n_level = len(data)
        if n_level == 0:
            return np.zeros(n_bins, dtype=np.float32), np.zeros(n_bins, dtype=np.float32)
        bin_len = self.level_bin_samples(level)
        edges = np.linspace(start_s * self.rate, end_s * self.rate, n_bins + 1)
        lo = np.floor(edges[:-1] / bin_len).astype(np.int64)
        hi = np.ceil(edges[1:] / bin_len).astype(np.int64)
        inside = (edges[:-1] < self.n_samples) & (edges[1:] > 0)
        lo = np.clip(lo, 0, max(0, n_level - 1))
        hi = np.clip(np.maximum(hi, lo + 1), 1, n_level)
        width = int((hi - lo).max())
        # Gather every overlapped bin (at most factor + 1 per output bin),
        # repeating the last one where an output bin overlaps fewer.
        index = np.minimum(lo[:, None] + np.arange(width)[None, :], hi[:, None] - 1)
        mins = data[index, 0].min(axis=1).astype(np.float32) / SCALE
        maxs = data[index, 1].max(axis=1).astype(np.float32) / SCALE
        mins[~inside] = 0.0
        maxs[~inside] = 0.0
        return mins, maxs

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the pyramid to ``path`` (overwriting it)."""
        header = {
            "version": 1,
            "rate": self.rate,
            "n_samples": self.n_samples,
            "bin_samples": self.bin_samples,
            "factor": self.factor,
            "levels": [len(level) for level in self._levels],
        }
        raw = json.dumps(header).encode("utf-8")
        used = len(MAGIC) + 4 + len(raw)
        raw += b" " * (-used % _ALIGN)
        with open(path, "wb") as fh:
            fh.write(MAGIC + struct.pack("<I", len(raw)) + raw)
            for level in self._levels:
                fh.write(np.ascontiguousarray(level, dtype="<i2").data)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PeakPyramid:
        """Memory-map a pyramid written by :meth:`save`.

        Raises ``ValueError`` if the file is not a peak file or is cut short.
        """
        p = Path(path)
        with open(p, "rb") as fh:
            magic = fh.read(len(MAGIC))
            if magic != MAGIC:
                raise ValueError(f"'{p.name}' is not a Jazba peak file")
            (header_len,) = struct.unpack("<I", fh.read(4))
            header = json.loads(fh.read(header_len).decode("utf-8"))
        offset = len(MAGIC) + 4 + header_len
        sizes = [int(n) for n in header["levels"]]
        total = sum(sizes)
        if p.stat().st_size < offset + total * 4:
            raise ValueError(f"the peak file '{p.name}' is truncated")
        if total == 0:
            levels = [np.zeros((0, 2), dtype="<i2")]
        else:
            flat = np.memmap(p, dtype="<i2", mode="r", offset=offset, shape=(total, 2))
            bounds = np.cumsum([0, *sizes])
            levels = [flat[a:b] for a, b in itertools.pairwise(bounds)]
        return cls(
            rate=int(header["rate"]),
            n_samples=int(header["n_samples"]),
            levels=levels,
            bin_samples=int(header["bin_samples"]),
            factor=int(header["factor"]),
        )


class PeakPyramidBuilder:
    """Build a :class:`PeakPyramid` from mono blocks of any size, in order."""

    def __init__(
        self,
        rate: int = 16_000,
        bin_samples: int = 32,
        factor: int = 4,
        expected_samples: int = 0,
    ) -> None:
        """``expected_samples``, if known, lets level 0 be allocated once, at its final size."""
        if bin_samples <= 0 or factor < 2:
            raise ValueError("bin_samples must be positive and factor at least 2")
        self.rate = rate
        self.bin_samples = bin_samples
        self.factor = factor
        self._bins = np.empty((max(64, -(-expected_samples // bin_samples)), 2), dtype=np.int16)
        self._n_bins = 0
        self._tail = np.zeros(0, dtype=np.float32)
        self._n_samples = 0
        self._finished = False

    @property
    def n_samples(self) -> int:
        return self._n_samples

    def add(self, block: np.ndarray) -> None:
        """Add the next mono samples (1-D float, nominally in -1..1)."""
        if self._finished:
            raise RuntimeError("PeakPyramidBuilder.add() called after finish()")
        samples = np.asarray(block, dtype=np.float32).reshape(-1)
        if not len(samples):
            return
        self._n_samples += len(samples)
        if len(self._tail):
            samples = np.concatenate([self._tail, samples])
        full = len(samples) - len(samples) % self.bin_samples
        if full:
            self._append(_bin_peaks(samples[:full].reshape(-1, self.bin_samples)))
        self._tail = samples[full:].copy()

    def _append(self, peaks: np.ndarray) -> None:
        end = self._n_bins + len(peaks)
        if end > len(self._bins):
            grown = np.empty((max(end, len(self._bins) * 3 // 2), 2), dtype=np.int16)
            grown[: self._n_bins] = self._bins[: self._n_bins]
            self._bins = grown
        self._bins[self._n_bins : end] = peaks
        self._n_bins = end

    def finish(self) -> PeakPyramid:
        """Close the last partial bin and build the coarser levels."""
        if self._finished:
            raise RuntimeError("PeakPyramidBuilder.finish() called twice")
        self._finished = True
        if len(self._tail):
            self._append(_bin_peaks(self._tail.reshape(1, -1)))
            self._tail = np.zeros(0, dtype=np.float32)
        level0 = self._bins[: self._n_bins]
        if len(self._bins) > self._n_bins + self._n_bins // 8 + 64:
            level0 = level0.copy()  # do not keep a much larger buffer alive
        self._bins = np.empty((0, 2), dtype=np.int16)
        levels = [level0]
        while len(levels[-1]) > 1:
            levels.append(_merge(levels[-1], self.factor))
        return PeakPyramid(self.rate, self._n_samples, levels, self.bin_samples, self.factor)


def _bin_peaks(rows: np.ndarray) -> np.ndarray:
    """int16 ``(len(rows), 2)`` min/max of each row, rounded outwards."""
    out = np.empty((len(rows), 2), dtype=np.int16)
    out[:, 0] = np.clip(np.floor(rows.min(axis=1) * SCALE), -SCALE, SCALE)
    out[:, 1] = np.clip(np.ceil(rows.max(axis=1) * SCALE), -SCALE, SCALE)
    return out


def _merge(level: np.ndarray, factor: int) -> np.ndarray:
    """The next coarser level: min of mins and max of maxs over ``factor`` bins."""
    full, rest = divmod(len(level), factor)
    out = np.empty((full + (rest > 0), 2), dtype=np.int16)
    groups = level[: full * factor].reshape(full, factor, 2)  # a view, no copy
    np.min(groups[:, :, 0], axis=1, out=out[:full, 0])
    np.max(groups[:, :, 1], axis=1, out=out[:full, 1])
    if rest:
        out[full] = level[full * factor :, 0].min(), level[full * factor :, 1].max()
    return out
