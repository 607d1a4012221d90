"""Synthetic speech: espeak-ng clips, their cache, determinism, augmentation, epoch mixing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.core.errors import Cancelled
from desktop_app.core.jobs import JobState
from desktop_app.services.text_bootstrap import (
    BootstrapOptions,
    TextBootstrap,
    bootstrap,
    plan_clips,
)
from desktop_app.training.data import Item, epoch_order, epoch_size
from desktop_app.tts import espeak
from desktop_app.tts.augment import Augmentation, add_noise, augment
from desktop_app.tts.base import SAMPLE_RATE, VoiceSetting

needs_espeak = pytest.mark.skipif(not espeak.available(), reason="espeak-ng and sox are needed")


def _digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@needs_espeak
def test_espeak_says_kazakh_and_russian_stretches_at_16k() -> None:
    synth = espeak.EspeakSynthesizer()
    setting = VoiceSetting("kk+m3", 170, 40)
    kk = synth.synthesize([("kk", "бүгін ауа райы өте жақсы")], setting)
    assert kk.dtype == np.float32 and 1.0 < len(kk) / SAMPLE_RATE < 4.0
    assert 0.05 < float(np.max(np.abs(kk))) <= 1.0
    mixed = synth.synthesize([("kk", "сен маған"), ("ru", "звонить")], setting)
    assert len(mixed) > int(espeak.GAP_S * SAMPLE_RATE)
    assert np.array_equal(kk, synth.synthesize([("kk", "бүгін ауа райы өте жақсы")], setting))
    faster = synth.synthesize([("kk", "бүгін ауа райы өте жақсы")], VoiceSetting("kk+m3", 260, 40))
    assert len(faster) < len(kk)


@needs_espeak
def test_augmentation_is_deterministic_from_its_seed() -> None:
    audio = espeak.EspeakSynthesizer().synthesize([("kk", "таудың басында")], VoiceSetting("kk"))
    aug = Augmentation(room="hall", snr_db=12.0, tempo=1.08, seed=5)
    one, two = augment(audio, aug), augment(audio, aug)
    assert np.array_equal(one, two)
    assert not np.array_equal(one, augment(audio, Augmentation("hall", 12.0, 1.08, seed=6)))
    assert len(one) < len(augment(audio, Augmentation("hall", 12.0, 1.0, seed=5)))  # faster
    assert float(np.max(np.abs(one))) <= 0.95 + 1e-6
    noisy = add_noise(np.ones(16000, np.float32) * 0.1, 20.0, seed=1)
    snr = 10 * np.log10(0.01 / float(np.mean((noisy - 0.1) ** 2)))
    assert snr == pytest.approx(20.0, abs=0.5)


@needs_espeak
def test_clips_are_cached_by_text_and_settings_and_reproducible(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("бауырсақ\nдомбыра\nқымыз\n", encoding="utf-8")
    text = TextBootstrap(files=(str(words),), options=BootstrapOptions(voices_per_text=2, seed=3))
    first = bootstrap(text, cache=tmp_path / "cache")
    n = first.summary["clips"]
    assert n == 2 * first.summary["sentences"] and first.summary["cached"] == 0
    assert all(ex.status == "synthetic" and ex.project == "synthetic" for ex in first.examples)
    assert all(sf.info(ex.audio_path).samplerate == SAMPLE_RATE for ex in first.examples)
    # A rerun synthesises nothing and gives the same clips.
    again = bootstrap(text, cache=tmp_path / "cache")
    assert again.summary["cached"] == n
    assert [ex.audio_path for ex in again.examples] == [ex.audio_path for ex in first.examples]
    # A fresh cache gives the same bytes (no dither, seeded noise).
    fresh = bootstrap(text, cache=tmp_path / "other")
    assert [_digest(ex.audio_path) for ex in fresh.examples] == [
        _digest(ex.audio_path) for ex in first.examples
    ]
    # Another seed: other voices/settings, other clips.
    seed4 = TextBootstrap(files=(str(words),), options=BootstrapOptions(voices_per_text=2, seed=4))
    other = bootstrap(seed4, cache=tmp_path / "cache")
    assert other.summary["cached"] < n
    # Summary for the model card: sources, voices, options.
    assert first.summary["sources"] == [
        {"name": "words.txt", "kind": "words", "sentences": 0, "words": 3}
    ]
    assert set(first.summary["voices"]) <= set(espeak.KK_VOICES)


@needs_espeak
def test_synthesis_can_be_cancelled(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("\n".join(f"сөз{c}" for c in "абвгдежзиклмнопрст"), encoding="utf-8")
    state = JobState()
    seen: list[float] = []

    def on_progress(fraction: float, _text: str) -> None:
        seen.append(fraction)
        if fraction > 0.1:
            state.cancel()

    state.on_progress, state.min_interval = on_progress, 0.0
    with pytest.raises(Cancelled):
        bootstrap(TextBootstrap(files=(str(words),)), state=state, cache=tmp_path / "c")
    made = list((tmp_path / "c").rglob("*.wav"))
    assert 0 < len(made) < 100 and not list((tmp_path / "c").rglob("*.tmp"))


def test_plans_draw_voices_from_the_pool_only() -> None:
    options = BootstrapOptions(voices=("kk+m1", "kk+f2", "kk+m3"), voices_per_text=2, seed=0)
    plans = plan_clips(["бір", "екі", "үш"], options)
    assert len(plans) == 6 and {p.setting.voice for p in plans} <= set(options.voices)
    for a, b in zip(plans[::2], plans[1::2], strict=True):
        assert a.text == b.text and a.setting.voice != b.setting.voice
    assert plan_clips(["бір", "екі", "үш"], options) == plans
    capped = plan_clips(["бір", "екі", "үш"], BootstrapOptions(max_clips=4))
    assert len(capped) == 4


def test_real_clips_dominate_each_epoch() -> None:
    real = [Item(Path(f"r{i}.wav"), "а", f"r{i}") for i in range(10)]
    synthetic = [Item(Path(f"s{i}.wav"), "ә", f"s{i}", synthetic=True) for i in range(40)]
    items = real + synthetic
    rng = np.random.default_rng(0)
    seen: set[int] = set()
    for _epoch in range(8):
        order = epoch_order(items, 0.5, rng)
        assert len(order) == epoch_size(items, 0.5) == 20
        assert sorted(i for i in order if i < 10) == list(range(10))  # every real clip
        seen |= {i for i in order if i >= 10}
    assert len(seen) > 30  # a fresh subset of synthetic clips each epoch
    assert epoch_size(items, 0.25) == 13
    # Synthetic speech alone: all of it, every epoch; no synthetic: the old permutation.
    assert sorted(epoch_order(synthetic, 0.5, rng)) == list(range(40))
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    assert epoch_order(real, 0.5, a) == b.permutation(10).tolist()
