"""The text bootstrap: text files → synthetic training clips for the learning loop.

:func:`bootstrap` is a job function (GUI worker, CLI, benchmark and tests
call it alike):

1. the sources (plain texts, word lists, the projects' own edited and
   approved transcripts) are read and prepared
   (:mod:`desktop_app.core.learning.text_sources`); listed words go into
   Kazakh carrier phrases and short lists;
2. every sentence that *is*, contains, or is part of a held-out (test or dev)
   transcript is dropped, so no held-out text is ever spoken to the model;
3. each sentence is said by ``voices_per_text`` voice settings and
   augmentations drawn from a hash of the sentence and the seed (the same
   input always gives the same clips, and adding a sentence leaves the others
   alone);
4. clips are synthesised in parallel (the work is in espeak-ng and sox
   processes) into a cache keyed by synthesiser, text and settings, so a
   second run over the same text costs nothing.

The clips become :class:`~desktop_app.core.learning.dataset.Example`s with
``status="synthetic"``: the trainer caps their share of each epoch
(``FinetuneConfig.synthetic_share``) and they only ever join the training
split.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState, Progress
from desktop_app.core.learning.dataset import Example, collect_examples
from desktop_app.core.learning.normalize import normalize_kk
from desktop_app.core.learning.text_sources import (
    TextSource,
    carrier_sentences,
    language_runs,
    read_text_source,
    split_sentences,
)
from desktop_app.core.paths import data_dir
from desktop_app.core.project import Project
from desktop_app.tts.augment import Augmentation, augment
from desktop_app.tts.base import SAMPLE_RATE, Synthesizer, VoiceSetting
from desktop_app.tts.espeak import KK_VOICES, EspeakSynthesizer

SYNTHETIC = "synthetic"  # Example.status and .project of a synthetic clip
MIN_CONTAINED_WORDS = 3  # a sentence inside a held-out one is dropped from this length


class BootstrapError(JazbaError):
    """The text gave nothing to synthesise, or synthesis failed."""


@dataclass(frozen=True)
class BootstrapOptions:
    """How text becomes speech; every choice is recorded in the model card."""

    voices: tuple[str, ...] = KK_VOICES  # the pool each sentence's voices are drawn from
    voices_per_text: int = 2
    speed: tuple[int, int] = (140, 200)  # words a minute, drawn uniformly
    pitch: tuple[int, int] = (30, 70)
    carriers_per_word: int = 2
    lists_per_word: int = 3
    augment: bool = True
    seed: int = 0
    max_clips: int | None = None  # None: every sentence × voices_per_text
    workers: int | None = None  # None: min(4, CPUs)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class TextBootstrap:
    """What to learn from: text files, and whether to add the projects' own transcripts."""

    files: tuple[str, ...] = ()
    project_transcripts: bool = False
    options: BootstrapOptions = field(default_factory=BootstrapOptions)


@dataclass(frozen=True)
class ClipPlan:
    text: str
    setting: VoiceSetting
    aug: Augmentation | None


@dataclass
class BootstrapResult:
    examples: list[Example]
    summary: dict[str, Any]


def tts_cache_dir() -> Path:
    return data_dir() / "training" / "tts_cache"


def gather_sources(
    files: Sequence[str | Path], projects: Sequence[Project] = ()
) -> list[TextSource]:
    """The text files, then each project's edited and approved transcripts."""
    sources = [read_text_source(f) for f in files]
    for project in projects:
        texts = [ex.text for ex in collect_examples(project, include_edited=True)]
        sentences = tuple(s for t in texts for s in split_sentences(t))
        if sentences:
            sources.append(TextSource(f"{project.name} transcripts", "text", sentences))
    return sources


def sentences_of(sources: Sequence[TextSource], options: BootstrapOptions) -> list[str]:
    """Sentences to speak: the texts' own, then the listed words in carriers (no repeats)."""
    out: dict[str, str] = {}
    for src in sources:
        for s in src.sentences:
            out.setdefault(normalize_kk(s), s)
    words = [w for src in sources for w in src.words]
    carried = carrier_sentences(
        words, options.carriers_per_word, lists_per_word=options.lists_per_word, seed=options.seed
    )
    for s in carried:
        out.setdefault(normalize_kk(s), s)
    return [s for key, s in out.items() if key]


def drop_held_out(sentences: Sequence[str], held_out: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(kept, dropped)``: a sentence equal to, holding, or inside a held-out text is dropped.

    Compared in scoring form, word by word; holding and inside count only when
    the shorter text has :data:`MIN_CONTAINED_WORDS` words or more (a held-out
    word may well be in a word list, or a held-out "иә" in many sentences:
    words are what the bootstrap is for, held-out sentences are what it must
    never speak).
    """
    refs = {n for t in held_out if (n := normalize_kk(t))}
    long_refs = [f" {r} " for r in refs if len(r.split()) >= MIN_CONTAINED_WORDS]
    kept, dropped = [], []
    for s in sentences:
        norm = normalize_kk(s)
        padded = f" {norm} "
        inside = len(norm.split()) >= MIN_CONTAINED_WORDS and any(padded in r for r in long_refs)
        if norm in refs or inside or any(r in padded for r in long_refs):
            dropped.append(s)
        else:
            kept.append(s)
    return kept, dropped


def _rng(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def plan_clips(sentences: Sequence[str], options: BootstrapOptions) -> list[ClipPlan]:
    """``voices_per_text`` different voices per sentence, with speed, pitch and room."""
    if not options.voices:
        raise BootstrapError("No voice is chosen to read the text.")
    plans = []
    for s in sentences:
        rng = _rng(options.seed, "clip", normalize_kk(s))
        voices = rng.sample(list(options.voices), min(options.voices_per_text, len(options.voices)))
        for voice in voices:
            setting = VoiceSetting(voice, rng.randint(*options.speed), rng.randint(*options.pitch))
            aug = Augmentation.draw(rng) if options.augment else None
            plans.append(ClipPlan(s, setting, aug))
    if options.max_clips is not None and len(plans) > options.max_clips:
        plans = _rng(options.seed, "cap").sample(plans, options.max_clips)
    return plans


def clip_key(synth: Synthesizer, plan: ClipPlan) -> str:
    what = {
        "synth": synth.name, "version": synth.version, "runs": language_runs(plan.text),
        "setting": plan.setting.to_dict(), "aug": plan.aug.to_dict() if plan.aug else None,
    }  # fmt: skip
    return hashlib.sha256(json.dumps(what, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def synthesize_clip(synth: Synthesizer, plan: ClipPlan, cache: Path) -> tuple[Path, bool]:
    """The cached clip of ``plan`` (made now if missing); True when it was cached."""
    key = clip_key(synth, plan)
    path = cache / key[:2] / f"{key}.wav"
    if path.is_file():
        return path, True
    audio = synth.synthesize(language_runs(plan.text), plan.setting)
    if plan.aug is not None:
        audio = augment(audio, plan.aug)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sf.write(tmp, np.clip(audio, -1, 1), SAMPLE_RATE, subtype="PCM_16", format="WAV")
    tmp.replace(path)
    return path, False


def synthesize_all(
    plans: Sequence[ClipPlan],
    synth: Synthesizer,
    cache: Path,
    state: Progress,
    workers: int | None = None,
) -> tuple[list[Path], int]:
    """Clips of ``plans`` in order, and how many came from the cache; cancellable."""
    workers = workers or min(4, os.cpu_count() or 1)
    paths: list[Path | None] = [None] * len(plans)
    cached = 0
    pending: dict[Future[tuple[Path, bool]], int] = {}
    todo = iter(range(len(plans)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tts") as pool:
        try:
            for i in todo:
                pending[pool.submit(synthesize_clip, synth, plans[i], cache)] = i
                if len(pending) >= 2 * workers:
                    break
            done_count = 0
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = pending.pop(fut)
                    paths[i], was_cached = fut.result()
                    cached += was_cached
                    done_count += 1
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending[pool.submit(synthesize_clip, synth, plans[nxt], cache)] = nxt
                state.set_progress(
                    done_count / len(plans), f"Synthesising speech ({done_count}/{len(plans)})"
                )
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return [p for p in paths if p is not None], cached


def bootstrap(
    text: TextBootstrap,
    held_out: Sequence[str] = (),
    state: Progress | None = None,
    *,
    projects: Sequence[Project] = (),
    synth: Synthesizer | None = None,
    cache: Path | None = None,
) -> BootstrapResult:
    """Synthetic training clips from ``text`` (see the module docstring)."""
    state = state or JobState()
    options = text.options
    synth = synth or EspeakSynthesizer()
    state.set_progress(0.0, "Reading the texts")
    sources = gather_sources(text.files, projects if text.project_transcripts else ())
    sentences, dropped = drop_held_out(sentences_of(sources, options), held_out)
    if not sentences:
        raise BootstrapError("The texts give no sentence to synthesise that is not held out.")
    plans = plan_clips(sentences, options)
    paths, cached = synthesize_all(plans, synth, cache or tts_cache_dir(), state, options.workers)
    examples = []
    seconds = 0.0
    for plan, path in zip(plans, paths, strict=True):
        seconds += sf.info(str(path)).duration
        examples.append(
            Example(
                key=f"{SYNTHETIC}/{path.stem[:16]}", audio_path=str(path), text=plan.text,
                speaker=f"{synth.name} {plan.setting.voice}", language="kk", status=SYNTHETIC,
                project=SYNTHETIC,
            )
        )  # fmt: skip
    summary = {
        "synthesizer": f"{synth.name} {synth.version}",
        "sources": [
            {"name": s.name, "kind": s.kind, "sentences": len(s.sentences), "words": len(s.words)}
            for s in sources
        ],
        "sentences": len(sentences),
        "dropped_held_out": len(dropped),
        "clips": len(examples),
        "cached": cached,
        "minutes": seconds / 60,
        "voices": sorted({p.setting.voice for p in plans}),
        "options": options.to_dict(),
    }
    state.set_progress(1.0, f"{len(examples)} synthetic clips ({seconds / 60:.1f} min)")
    return BootstrapResult(examples, summary)
