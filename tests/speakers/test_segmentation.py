"""Powerset decoding, window aggregation, thresholds and the second-speaker choice,
on synthetic arrays whose answers are known; then the tiny ONNX model on tones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_app.speakers.cluster import Turn
from desktop_app.speakers.overlap import regions_from_turns, second_speakers, with_overlaps
from desktop_app.speakers.segmentation import (
    FrameGrid,
    SegmentationOptions,
    Segmenter,
    aggregate,
    hysteresis,
    local_activity,
    powerset_classes,
    regions,
    softmax,
    speech_overlap,
    window_starts,
)
from desktop_app.speakers.segmentation_model import SegmentationModel, probe_graph
from tests.speakers.tiny_segmentation import build_tiny_segmentation, conversation

CLASSES = [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]


def test_powerset_classes_are_pyannotes_order() -> None:
    assert powerset_classes(3, 2) == CLASSES


def test_powerset_decoding() -> None:
    # frames: silence, speaker 1 alone, speakers 2+3, and an unsure frame
    probs = np.array(
        [
            [1, 0, 0, 0, 0, 0, 0],
            [0, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 1],
            [0.2, 0.3, 0, 0, 0.5, 0, 0],
        ],
        dtype=float,
    )
    np.testing.assert_allclose(
        local_activity(probs, CLASSES),
        [[0, 0, 0], [1, 0, 0], [0, 1, 1], [0.8, 0.5, 0]],
    )
    speech, overlap = speech_overlap(probs, CLASSES)
    np.testing.assert_allclose(speech, [0, 1, 1, 0.8])
    np.testing.assert_allclose(overlap, [0, 0, 1, 0.5])
    # log-probabilities and logits give the same probabilities
    logp = np.log(np.array([0.1, 0.2, 0.3, 0.1, 0.1, 0.1, 0.1]))
    np.testing.assert_allclose(softmax(logp), np.exp(logp))
    np.testing.assert_allclose(softmax(logp + 3.0), np.exp(logp))


def test_window_starts_cover_the_audio() -> None:
    assert window_starts(5_000, 160_000, 40_000) == [0]
    assert window_starts(160_000, 160_000, 40_000) == [0]
    assert window_starts(250_000, 160_000, 40_000) == [0, 40_000, 80_000, 90_000]


def test_aggregation_puts_each_window_frame_on_the_global_grid() -> None:
    """Windows that agree on a function of absolute time average back to that function,
    whatever their weights: a misaligned window would smear it."""
    grid = FrameGrid(270, 991)
    n_samples = 400 * 270 + 991
    truth = lambda j: ((j >= 150) & (j < 250)).astype(float)  # noqa: E731
    truth_ov = lambda j: ((j >= 200) & (j < 210)).astype(float)  # noqa: E731
    windows = []
    for start_frame in (0, 100, 200):
        frames = np.arange(start_frame, start_frame + 200)
        windows.append((start_frame * 270, truth(frames), truth_ov(frames)))
    scores = aggregate(windows, n_samples, grid)
    covered = np.arange(0, 400)
    np.testing.assert_allclose(scores.speech[covered], truth(covered))
    np.testing.assert_allclose(scores.overlap[covered], truth_ov(covered))
    assert scores.times[0] == pytest.approx(991 / 2 / 16_000)
    # windows that disagree: the middle of a window outweighs another's edge
    a = (0, np.ones(200), np.zeros(200))
    b = (100 * 270, np.zeros(200), np.zeros(200))
    mixed = aggregate([a, b], 300 * 270 + 991, grid)
    assert mixed.speech[110] > 0.8 and mixed.speech[190] < 0.2  # a's middle, then b's


def test_hysteresis_and_regions() -> None:
    p = np.array([0.1, 0.6, 0.45, 0.3, 0.55, 0.2])
    assert hysteresis(p, 0.5, 0.4).tolist() == [False, True, True, False, True, False]
    active = np.array([0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0], bool)
    times = np.arange(12) * 0.1 + 0.05  # frames of 0.1 s
    np.testing.assert_allclose(regions(active, times, 0.05), [(0.1, 0.3), (0.4, 0.7), (1.0, 1.1)])
    # the one-frame gap is filled, the lone last frame dropped, runs padded and clipped
    got = regions(active, times, 0.05, min_on_s=0.15, min_off_s=0.15, pad_s=0.2, end_s=1.0)
    np.testing.assert_allclose(got, [(0.0, 0.9)])


def test_second_speaker_is_the_nearest_other_turn() -> None:
    # A then B, the overlap straddling the change: each side gets the other as second
    turns = [Turn(0.0, 4.7, 0), Turn(4.7, 9.0, 1), Turn(9.5, 12.0, 0)]
    got = second_speakers(turns, [(4.5, 5.0)])
    assert got == [Turn(4.5, 4.7, 1), Turn(4.7, 5.0, 0)]
    # three speakers: B is interrupted by C (next), not by A (before)
    turns = [Turn(0.0, 3.0, 0), Turn(3.0, 6.0, 1), Turn(6.5, 9.0, 2)]
    assert second_speakers(turns, [(5.5, 6.0)]) == [Turn(5.5, 6.0, 2)]
    # one speaker only, or an overlap in silence: no second speaker
    assert second_speakers([Turn(0, 5, 0)], [(1, 2)]) == []
    assert second_speakers(turns, [(6.1, 6.4)]) == []
    merged = with_overlaps(turns, [Turn(5.5, 6.0, 2)])
    assert merged[1:3] == [Turn(3.0, 6.0, 1), Turn(5.5, 6.0, 2)]


def test_oracle_overlap_regions_from_reference_turns() -> None:
    ref = [(0.0, 3.0, "a"), (2.6, 6.0, "b"), (6.5, 8.0, "a"), (7.5, 9.0, "b"), (7.8, 8.2, "c")]
    np.testing.assert_allclose(
        regions_from_turns(ref), [(2.6, 3.0), (7.5, 8.2)]
    )  # b with a, then c


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> SegmentationModel:
    pytest.importorskip("onnx")
    path = build_tiny_segmentation(tmp_path_factory.mktemp("seg") / "model.onnx")
    return SegmentationModel("tiny", "tiny", path.parent, **probe_graph(path))


def test_the_tiny_model_finds_speech_and_the_overlap(tiny_model: SegmentationModel) -> None:
    assert (tiny_model.input, tiny_model.output) == ("input_values", "logits")
    assert (tiny_model.frame_step, tiny_model.frame_size) == (270, 991)
    audio = conversation([(0.5, 4.0, 0), (3.5, 7.5, 1), (12, 16, 0), (20, 24, 1)], 25.0)
    result = Segmenter(tiny_model, threads=1).segment(audio, SegmentationOptions(pad_s=0.0))
    expected = [(0.5, 7.5), (12, 16), (20, 24)]
    assert len(result.speech) == 3
    for (a, b), (x, y) in zip(result.speech, expected, strict=True):
        assert abs(a - x) < 0.08 and abs(b - y) < 0.08
    [(a, b)] = result.overlap
    assert abs(a - 3.5) < 0.08 and abs(b - 4.0) < 0.08


def test_a_graph_with_a_fixed_batch_of_one_runs_window_by_window(
    tiny_model: SegmentationModel, tmp_path: Path
) -> None:
    path = build_tiny_segmentation(tmp_path / "fixed" / "model.onnx", batch=1)
    fixed = Segmenter(SegmentationModel("fixed", "fixed", path.parent, **probe_graph(path)))
    audio = conversation([(0.5, 4.0, 0), (3.5, 7.5, 1)], 22.0)
    got = fixed.segment(audio)
    assert not fixed.batched
    want = Segmenter(tiny_model).segment(audio)
    np.testing.assert_allclose(got.scores.overlap, want.scores.overlap, atol=1e-5)
    assert got.overlap == want.overlap and len(got.overlap) == 1


def test_a_graph_that_is_not_a_powerset_segmenter_is_refused(tmp_path: Path) -> None:
    from desktop_app.core.errors import ModelError

    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(ModelError, match="not an ONNX model"):
        probe_graph(bad)
