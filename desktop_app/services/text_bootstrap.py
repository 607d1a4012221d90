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
   second run over the same text costs nothing. A neural voice from the model
   catalog (``options.tts``, :mod:`desktop_app.services.tts_choice`) makes its
   clips in a job process first (PyTorch never loads in this one); several
   synthesisers share each sentence's voices in turn.

The clips become :class:`~desktop_app.core.learning.dataset.Example`s with
``status="synthetic"``: the trainer caps their share of each epoch
(``FinetuneConfig.synthetic_share``) and they only ever join the training
split.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soundfile as sf

from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import JobState, Progress, SubState
from desktop_app.core.learning.dataset import Example, collect_examples
from desktop_app.core.learning.normalize import normalize_kk
from desktop_app.core.learning.text_sources import (
    TextSource,
    carrier_sentences,
    read_text_source,
    split_sentences,
)
from desktop_app.core.paths import data_dir
from desktop_app.core.project import Project
from desktop_app.tts.augment import Augmentation
from desktop_app.tts.base import Synthesizer, VoiceSetting
from desktop_app.tts.clips import ClipPlan, clip_key, synthesize_clip  # noqa: F401 (moved there)
from desktop_app.tts.espeak import KK_VOICES

SYNTHETIC = "synthetic"  # Example.status and .project of a synthetic clip
MIN_CONTAINED_WORDS = 3  # a sentence inside a held-out one is dropped from this length


class BootstrapError(JazbaError):
    """The text gave nothing to synthesise, or synthesis failed."""


@dataclass(frozen=True)
class BootstrapOptions:
    """How text becomes speech; every choice is recorded in the model card."""

    voices: tuple[str, ...] = KK_VOICES  # espeak-ng's pool each sentence's voices come from
    #: Synthesisers: "espeak", an installed voice's id (e.g. "mms-tts-kaz"), or "auto"
    #: (the neural voice when one is installed, else espeak-ng); several share the clips.
    tts: tuple[str, ...] = ("espeak",)
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


def _voices_for(rng: random.Random, pools: Sequence[Sequence[str]], n: int) -> list[str]:
    """``n`` voices for one sentence: from one pool as drawn; from several, the
    synthesisers take turns (from a drawn start) and each gives different voices."""
    if len(pools) == 1:
        return rng.sample(list(pools[0]), min(n, len(pools[0])))
    start = rng.randrange(len(pools))
    counts = [0] * len(pools)
    for k in range(n):
        counts[(start + k) % len(pools)] += 1
    voices: list[str] = []
    for pool, count in zip(pools, counts, strict=True):
        voices += rng.sample(list(pool), min(count, len(pool)))
    return voices


def plan_clips(
    sentences: Sequence[str],
    options: BootstrapOptions,
    pools: Sequence[Sequence[str]] | None = None,
) -> list[ClipPlan]:
    """``voices_per_text`` different voices per sentence, with speed, pitch and room;
    ``pools`` are the voices of each synthesiser (default: ``options.voices``)."""
    pools = [list(p) for p in (pools if pools is not None else [options.voices]) if p]
    if not pools:
        raise BootstrapError("No voice is chosen to read the text.")
    plans = []
    for s in sentences:
        rng = _rng(options.seed, "clip", normalize_kk(s))
        for voice in _voices_for(rng, pools, options.voices_per_text):
            setting = VoiceSetting(voice, rng.randint(*options.speed), rng.randint(*options.pitch))
            aug = Augmentation.draw(rng) if options.augment else None
            plans.append(ClipPlan(s, setting, aug))
    if options.max_clips is not None and len(plans) > options.max_clips:
        plans = _rng(options.seed, "cap").sample(plans, options.max_clips)
    return plans


def voice_pools(synths: Sequence[Synthesizer], options: BootstrapOptions) -> list[list[str]]:
    """Each synthesiser's voices: those of ``options.voices`` it has, else all of its own."""
    pools = []
    for synth in synths:
        own = synth.voices()
        pools.append([v for v in options.voices if v in own] or own)
    return pools


def _owners(plans: Sequence[ClipPlan], synths: Sequence[Synthesizer]) -> list[Synthesizer]:
    """The synthesiser of each plan: the one with its voice (else the first)."""
    by_voice: dict[str, Synthesizer] = {}
    for synth in reversed(synths):
        by_voice.update(dict.fromkeys(synth.voices(), synth))
    return [by_voice.get(p.setting.voice, synths[0]) for p in plans]


def synthesize_all(
    plans: Sequence[ClipPlan],
    synth: Synthesizer | Sequence[Synthesizer],
    cache: Path,
    state: Progress,
    workers: int | None = None,
) -> tuple[list[Path], int]:
    """Clips of ``plans`` in order, and how many came from the cache; cancellable.

    A synthesiser with a ``render`` method (a neural voice) makes its clips in
    its job process first; the rest are made here in ``workers`` threads.
    """
    synths = [synth] if not isinstance(synth, Sequence) else list(synth)
    owners = _owners(plans, synths) if len(synths) > 1 else [synths[0]] * len(plans)
    made_apart, start = 0, 0.0
    for s in synths:
        render = getattr(s, "render", None)
        mine = [p for p, o in zip(plans, owners, strict=True) if o is s]
        if render is None or not mine:
            continue
        end = start + len(mine) / len(plans)
        made_apart += render(mine, cache, SubState(state, start, end))
        start = end
    paths, cached = _synthesize_here(plans, owners, cache, SubState(state, start, 1.0), workers)
    return paths, cached - made_apart


def _synthesize_here(
    plans: Sequence[ClipPlan],
    owners: Sequence[Synthesizer],
    cache: Path,
    state: Progress,
    workers: int | None,
) -> tuple[list[Path], int]:
    workers = workers or min(4, os.cpu_count() or 1)
    paths: list[Path | None] = [None] * len(plans)
    cached = 0
    pending: dict[Future[tuple[Path, bool]], int] = {}
    todo = iter(range(len(plans)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tts") as pool:
        try:
            for i in todo:
                pending[pool.submit(synthesize_clip, owners[i], plans[i], cache)] = i
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
                        pending[pool.submit(synthesize_clip, owners[nxt], plans[nxt], cache)] = nxt
                state.set_progress(
                    done_count / len(plans), f"Synthesising speech ({done_count}/{len(plans)})"
                )
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return [p for p in paths if p is not None], cached


def describe(synth: Synthesizer) -> dict[str, Any]:
    """What the model card says about a synthesiser: name, version, licence, settings."""
    own = getattr(synth, "describe", None)
    return own() if callable(own) else {"name": synth.name, "version": synth.version}


def bootstrap(
    text: TextBootstrap,
    held_out: Sequence[str] = (),
    state: Progress | None = None,
    *,
    projects: Sequence[Project] = (),
    synth: Synthesizer | Sequence[Synthesizer] | None = None,
    cache: Path | None = None,
) -> BootstrapResult:
    """Synthetic training clips from ``text`` (see the module docstring); ``synth``
    overrides the synthesisers ``text.options.tts`` names."""
    from desktop_app.services.tts_choice import resolve_synthesizers

    state = state or JobState()
    options = text.options
    if synth is None:
        synths = resolve_synthesizers(options.tts, threads=options.workers)
    else:
        synths = [synth] if not isinstance(synth, Sequence) else list(synth)
    state.set_progress(0.0, "Reading the texts")
    sources = gather_sources(text.files, projects if text.project_transcripts else ())
    sentences, dropped = drop_held_out(sentences_of(sources, options), held_out)
    if not sentences:
        raise BootstrapError("The texts give no sentence to synthesise that is not held out.")
    plans = plan_clips(sentences, options, voice_pools(synths, options))
    owners = _owners(plans, synths)
    paths, cached = synthesize_all(plans, synths, cache or tts_cache_dir(), state, options.workers)
    examples = []
    seconds = 0.0
    clips_by: dict[str, int] = {}
    for plan, path, owner in zip(plans, paths, owners, strict=True):
        seconds += sf.info(str(path)).duration
        clips_by[owner.name] = clips_by.get(owner.name, 0) + 1
        examples.append(
            Example(
                key=f"{SYNTHETIC}/{path.stem[:16]}", audio_path=str(path), text=plan.text,
                speaker=f"{owner.name} {plan.setting.voice}", language="kk", status=SYNTHETIC,
                project=SYNTHETIC,
            )
        )  # fmt: skip
    used = [s for s in synths if clips_by.get(s.name)]
    summary = {
        "synthesizer": " + ".join(f"{s.name} {s.version}" for s in used),
        "synthesizers": [{**describe(s), "clips": clips_by[s.name]} for s in used],
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
