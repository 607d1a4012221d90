"""The min/max peak pyramid: building, querying, saving and loading."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from desktop_app.core.audio.peaks import SCALE, PeakPyramid, PeakPyramidBuilder

RATE = 16_000
Q = 1.0 / SCALE  # one quantisation step


def _build(signal: np.ndarray, pieces: int = 1) -> PeakPyramid:
    builder = PeakPyramidBuilder(RATE)
    for part in np.array_split(signal, pieces):
        builder.add(part)
    return builder.finish()


def _brute(signal: np.ndarray, start: int, end: int, n_bins: int) -> tuple[np.ndarray, ...]:
    chunks = np.array_split(signal[start:end], n_bins)
    return np.array([c.min() for c in chunks]), np.array([c.max() for c in chunks])


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    """37.5 s of noise whose loudness varies, so every bin differs."""
    rng = np.random.default_rng(42)
    n = 600_000
    envelope = 0.1 + 0.8 * np.abs(np.sin(np.linspace(0, 40, n)))
    return (rng.uniform(-1, 1, n) * envelope).astype(np.float32)


@pytest.mark.parametrize(
    ("start", "end", "n_bins"),
    [
        (0, 512 * 1000, 1000),  # level 2 (512 samples a bin), bin per bin
        (0, 8192 * 70, 70),  # level 4
        (32 * 4 * 100, 32 * 4 * 900, 800),  # level 1, bin per bin
        (32 * 50, 32 * 450, 400),  # level 0, bin per bin
        (32 * 64 * 10, 32 * 64 * 30, 20),  # level 3
    ],
)
def test_aligned_queries_equal_brute_force(noise, start, end, n_bins) -> None:
    pyramid = _build(noise)

    mins, maxs = pyramid.query(start / RATE, end / RATE, n_bins)
    want_min, want_max = _brute(noise, start, end, n_bins)

    assert mins.shape == maxs.shape == (n_bins,)
    assert mins.dtype == np.float32
    np.testing.assert_allclose(mins, want_min, atol=Q * 1.01)
    np.testing.assert_allclose(maxs, want_max, atol=Q * 1.01)


def test_unaligned_queries_envelope_the_true_peaks(noise) -> None:
    pyramid = _build(noise)
    rng = np.random.default_rng(3)
    for _ in range(50):
        start_s = float(rng.uniform(0, 30))
        end_s = start_s + float(rng.uniform(0.01, 37.5 - start_s))
        n_bins = int(rng.integers(1, 3000))

        mins, maxs = pyramid.query(start_s, end_s, n_bins)

        edges = np.round(np.linspace(start_s * RATE, end_s * RATE, n_bins + 1)).astype(int)
        level = pyramid.choose_level(start_s, end_s, n_bins)
        slack = pyramid.level_bin_samples(level)
        for i in range(0, n_bins, max(1, n_bins // 25)):
            lo, hi = edges[i], max(edges[i + 1], edges[i] + 1)
            exact = noise[lo:hi]
            # Never hides a peak …
            assert mins[i] <= exact.min() + Q and maxs[i] >= exact.max() - Q
            # … and never reports one from further than one pyramid bin away.
            near = noise[max(0, lo - slack) : hi + slack]
            assert mins[i] >= near.min() - Q and maxs[i] <= near.max() + Q


def test_picks_the_coarsest_level_with_enough_bins(noise) -> None:
    pyramid = _build(noise)
    # Whole file: 37.5 s = 18750 level-0 bins, 4687.5 at level 1, 1171.9 at level 2.
    assert pyramid.choose_level(0, 37.5, 1000) == 2
    assert pyramid.choose_level(0, 37.5, 1172) == 1
    assert pyramid.choose_level(0, 37.5, 20_000) == 0
    assert pyramid.choose_level(0, 0.01, 1000) == 0  # zoomed past level 0
    level = pyramid.choose_level(0, 37.5, 1)
    bins = 600_000 / pyramid.level_bin_samples(level)
    assert bins >= 1 > bins / 4


def test_block_boundaries_do_not_matter(noise) -> None:
    whole = _build(noise)
    pieces = _build(noise, pieces=97)  # sizes not multiples of 32
    for level in range(whole.n_levels):
        np.testing.assert_array_equal(pieces.level(level), whole.level(level))


def test_levels_shrink_by_factor_to_one_bin(noise) -> None:
    pyramid = _build(noise)
    sizes = [len(pyramid.level(i)) for i in range(pyramid.n_levels)]
    assert sizes[0] == 600_000 // 32
    assert all(b == -(-a // 4) for a, b in itertools.pairwise(sizes))
    assert sizes[-1] == 1
    top = pyramid.level(pyramid.n_levels - 1)[0] / SCALE
    assert top[0] == pytest.approx(noise.min(), abs=Q) and top[1] == pytest.approx(
        noise.max(), abs=Q
    )


def test_partial_last_bin_is_kept() -> None:
    signal = np.zeros(100, dtype=np.float32)
    signal[-1] = 0.75  # in the 4th, 4-sample bin
    pyramid = _build(signal)
    assert len(pyramid.level(0)) == 4
    assert pyramid.duration_s == pytest.approx(100 / RATE)
    _, maxs = pyramid.query(96 / RATE, 100 / RATE, 1)
    assert maxs[0] == pytest.approx(0.75, abs=Q)


def test_outside_the_recording_is_silent(noise) -> None:
    pyramid = _build(noise)
    mins, maxs = pyramid.query(-10.0, 47.5, 576)  # 0.1 s bins
    assert np.all(mins[:100] == 0) and np.all(maxs[:100] == 0)
    assert np.all(mins[-100:] == 0) and np.all(maxs[-100:] == 0)
    assert np.all(maxs[101:-101] > 0)


def test_save_and_load_round_trip(noise, tmp_path) -> None:
    pyramid = _build(noise)
    path = tmp_path / "x.peaks"
    pyramid.save(path)

    loaded = PeakPyramid.load(path)

    assert (loaded.rate, loaded.n_samples, loaded.n_levels) == (
        RATE,
        len(noise),
        pyramid.n_levels,
    )
    assert loaded.duration_s == pytest.approx(37.5)
    assert isinstance(loaded.level(0), np.memmap)  # mapped, not read
    for level in range(pyramid.n_levels):
        np.testing.assert_array_equal(loaded.level(level), pyramid.level(level))
    np.testing.assert_array_equal(loaded.query(1, 30, 999)[1], pyramid.query(1, 30, 999)[1])
    # 2 bytes × (min, max) × about 4/3 of 18750 bins, plus a small header.
    assert path.stat().st_size < 18_750 * 4 * 4 / 3 + 512


def test_clipping_and_silence_are_stored_exactly(tmp_path) -> None:
    signal = np.concatenate([np.zeros(64), np.full(32, 1.5), np.full(32, -3.0)]).astype(np.float32)
    pyramid = _build(signal)
    np.testing.assert_array_equal(
        pyramid.level(0), [[0, 0], [0, 0], [SCALE, SCALE], [-SCALE, -SCALE]]
    )


def test_empty_pyramid(tmp_path) -> None:
    pyramid = PeakPyramidBuilder().finish()
    pyramid.save(tmp_path / "e.peaks")
    loaded = PeakPyramid.load(tmp_path / "e.peaks")
    assert loaded.duration_s == 0
    mins, maxs = loaded.query(0, 1, 10)
    assert not mins.any() and not maxs.any()


def test_bad_arguments_and_files(noise, tmp_path) -> None:
    pyramid = _build(noise)
    with pytest.raises(ValueError, match="n_bins"):
        pyramid.query(0, 1, 0)
    with pytest.raises(ValueError, match="empty time range"):
        pyramid.query(2, 1, 10)
    (tmp_path / "not.peaks").write_bytes(b"hello world, not peaks")
    with pytest.raises(ValueError, match="not a Jazba peak file"):
        PeakPyramid.load(tmp_path / "not.peaks")
    pyramid.save(tmp_path / "cut.peaks")
    data = (tmp_path / "cut.peaks").read_bytes()
    (tmp_path / "cut.peaks").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        PeakPyramid.load(tmp_path / "cut.peaks")
    builder = PeakPyramidBuilder()
    builder.finish()
    with pytest.raises(RuntimeError):
        builder.add(np.zeros(10, dtype=np.float32))


@pytest.mark.parametrize("expected", [0, 1000, 600_000, 10_000_000])
def test_size_hint_never_changes_the_result(noise, expected) -> None:
    reference = _build(noise)
    builder = PeakPyramidBuilder(RATE, expected_samples=expected)
    for part in np.array_split(noise, 41):
        builder.add(part)
    pyramid = builder.finish()
    for level in range(reference.n_levels):
        np.testing.assert_array_equal(pyramid.level(level), reference.level(level))
    buffer = pyramid.level(0).base  # no oversized allocation is kept alive
    assert buffer is None or len(buffer) < 2 * len(noise) // 32
