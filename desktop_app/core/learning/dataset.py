"""Training data from approved segments: collection, held-out test set, splits, export.

* :func:`collect_examples` reads a project's approved (optionally also edited)
  segments of its ``transcription`` tiers, with their speaker's metadata.
* :func:`held_out` separates the project's fixed test set. Membership is decided
  per 20-second *block* of a recording, by a hash of a salt kept in the
  project (``ProjectMeta`` key ``learning.test_set``), so it never changes: a
  segment that is split, merged, re-timed or edited stays on its side, and new
  approvals in a test block join the test set. Test data is never trained on.
* :func:`split_train_dev` makes a speaker-disjoint dev set when there are
  enough speakers, else recording-disjoint, else block-disjoint, and says which.
* :func:`export_dataset` writes 16 kHz clips and ``manifest.jsonl`` (what the
  trainer in ``desktop_app.training`` reads), all or nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from sqlalchemy import func, select

from desktop_app.core.audio.importer import load_model_audio
from desktop_app.core.audio.resample import MODEL_RATE
from desktop_app.core.errors import JazbaError
from desktop_app.core.jobs import Progress
from desktop_app.core.langtag import kind, lang_list, tags_for
from desktop_app.core.project import Project
from desktop_app.core.store.schema import Recording, Segment, Speaker, Tier

TRANSCRIPTION_KIND = "transcription"
"""The only tier kind whose segments are training and evaluation data."""
TEST_SET_KEY = "learning.test_set"
BLOCK_MS = 20_000
TEST_FRACTION = 0.1
MIN_TEST = 2
DEV_FRACTION = 0.1
MANIFEST = "manifest.jsonl"
SPLITS = ("train", "dev", "test")


class DatasetError(JazbaError):
    """There is not enough (or not usable) training data."""


@dataclass(frozen=True)
class Example:
    """One utterance: where its audio is, what was said, and who said it."""

    key: str  # unique across projects: "<project>/<segment id>"
    audio_path: str  # 16 kHz mono file (a project's model audio or a clip)
    text: str
    start_ms: int | None = None  # None: the whole file
    end_ms: int | None = None
    speaker: str | None = None
    gender: str | None = None
    age_band: str | None = None
    language: str | None = None
    status: str = "approved"
    dialect: str | None = None
    region: str | None = None
    l1: str | None = None  # the speaker's first language(s), comma separated
    birth_year: int | None = None
    project: str = ""
    recording_id: int | None = None
    segment_id: int | None = None
    word_langs: list[str] | None = None  # kk / ru / other per word of ``text``

    @property
    def code_switching(self) -> str | None:
        """``mixed`` (words of two languages or more), ``monolingual``, None untagged."""
        if self.word_langs is None:
            return None
        return kind([{"l": lang} for lang in self.word_langs])

    @property
    def duration_s(self) -> float:
        if self.start_ms is None or self.end_ms is None:
            return float(sf.info(self.audio_path).duration)
        return (self.end_ms - self.start_ms) / 1000

    @property
    def group_block(self) -> str:
        """The 20-second block of its recording that the test-set choice is made for."""
        mid = ((self.start_ms or 0) + (self.end_ms or 0)) // 2
        return f"{self.project}/{self.recording_id}/{mid // BLOCK_MS}"


@dataclass
class Splits:
    train: list[Example] = field(default_factory=list)
    dev: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)
    split_by: str = "speaker"  # how train and dev were kept apart

    def all(self) -> list[Example]:
        return [*self.train, *self.dev, *self.test]


def collect_examples(
    project: Project, include_edited: bool = False, tier_id: int | None = None
) -> list[Example]:
    """Approved (and with ``include_edited`` edited) segments that have text, on
    ``transcription`` tiers only: translations, glosses, tags, comments and
    gesture tiers are not what was said."""
    statuses = ("approved", "edited") if include_edited else ("approved",)
    name = project.name
    with project.unit() as s:
        q = (
            select(Segment, Recording.model_audio_path, Speaker)
            .join(Recording, Segment.recording_id == Recording.id)
            .join(Tier, Segment.tier_id == Tier.id)
            .outerjoin(Speaker, Segment.speaker_id == Speaker.id)
            .where(
                Segment.deleted.is_(False),
                Segment.status.in_(statuses),
                Tier.kind == TRANSCRIPTION_KIND,
                func.trim(Segment.text) != "",
            )
            .order_by(Segment.recording_id, Segment.start_ms)
        )
        if tier_id is not None:
            q = q.where(Segment.tier_id == tier_id)
        rows = s.execute(q).all()
        return [
            Example(
                key=f"{name}/{seg.id}",
                audio_path=str(project.abspath(audio)),
                text=seg.text.strip(),
                start_ms=seg.start_ms,
                end_ms=seg.end_ms,
                speaker=sp.name if sp else None,
                gender=sp.gender if sp else None,
                age_band=sp.age_band if sp else None,
                language=seg.language,
                status=seg.status,
                dialect=sp.dialect if sp else None,
                region=sp.region if sp else None,
                l1=sp.l1 if sp else None,
                birth_year=sp.birth_year if sp else None,
                project=name,
                recording_id=seg.recording_id,
                segment_id=seg.id,
                word_langs=lang_list(
                    tags_for(seg.word_langs, seg.text.strip(), seg.language, seg.words)
                ),
            )
            for seg, audio, sp in rows
        ]


def _hash01(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def load_test_policy(project: Project) -> dict[str, Any] | None:
    """The project's stored test-set choice, or None before the first use."""
    raw = project.meta().get(TEST_SET_KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise DatasetError(
            f"The held-out test set of '{project.name}' is unreadable ({exc}); "
            "it was edited by hand."
        ) from exc
    return data if isinstance(data, dict) else None


def held_out(
    project: Project,
    examples: Sequence[Example],
    fraction: float = TEST_FRACTION,
    min_test: int = MIN_TEST,
) -> tuple[list[Example], list[Example]]:
    """``(pool, test)``: the project's fixed test set and everything else.

    The first call stores a salt and the fraction in the project; if the hash
    leaves fewer than ``min_test`` examples in the test set, extra blocks are
    pinned then (nothing has been trained on yet). Later calls reuse the
    stored choice unchanged.
    """
    policy = load_test_policy(project)
    first = policy is None
    if policy is None:
        policy = {"version": 1, "salt": secrets.token_hex(8), "fraction": fraction, "pinned": []}
    pinned = set(policy.get("pinned", []))

    def is_test(ex: Example) -> bool:
        block = ex.group_block.split("/", 1)[1]
        return block in pinned or _hash01(policy["salt"], block) < float(policy["fraction"])

    test = [ex for ex in examples if is_test(ex)]
    if first and len(test) < min_test:
        blocks = sorted(
            {ex.group_block.split("/", 1)[1] for ex in examples if not is_test(ex)},
            key=lambda b: _hash01(policy["salt"], "pin", b),
        )
        while len(test) < min_test and blocks and len(test) < len(examples) // 2:
            pinned.add(blocks.pop(0))
            test = [ex for ex in examples if is_test(ex)]
        policy["pinned"] = sorted(pinned)
    if first:
        project.set_meta(TEST_SET_KEY, json.dumps(policy))
    keys = {ex.key for ex in test}
    return [ex for ex in examples if ex.key not in keys], test


def _groups(examples: Iterable[Example], by: str) -> dict[str, list[Example]]:
    groups: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        if by == "speaker":
            key = ex.speaker or ""
        elif by == "recording":
            key = f"{ex.project}/{ex.recording_id}/{ex.audio_path}"
        else:
            key = ex.group_block if ex.recording_id is not None else ex.key
        groups[key].append(ex)
    return groups


def split_train_dev(
    pool: Sequence[Example], fraction: float = DEV_FRACTION, seed: str = "jazba"
) -> tuple[list[Example], list[Example], str]:
    """``(train, dev, split_by)``; dev holds whole speakers when possible.

    Groups (speakers, else recordings, else 20-second blocks) are taken in a
    seeded hash order until the dev set has about ``fraction`` of the audio;
    a grouping is used only when it can give between half and twice that.
    """
    if not pool:
        return [], [], "none"
    total = sum(ex.duration_s for ex in pool)
    target = fraction * total
    for by in ("speaker", "recording", "block"):
        groups = _groups(pool, by)
        if by == "speaker" and ("" in groups or len(groups) < 4):
            continue
        if len(groups) < 3:
            continue
        order = sorted(groups, key=lambda g: _hash01(seed, by, g))
        dev_keys: list[str] = []
        got = 0.0
        for g in order:
            size = sum(ex.duration_s for ex in groups[g])
            if got + size > 2 * target and got >= 0.5 * target:
                continue
            dev_keys.append(g)
            got += size
            if got >= target:
                break
        if 0.5 * target <= got <= 2 * target and len(dev_keys) < len(groups):
            dev = [ex for g in dev_keys for ex in groups[g]]
            chosen = {ex.key for ex in dev}
            return [ex for ex in pool if ex.key not in chosen], dev, by
    # Too little data to keep anything apart: every n-th example.
    step = max(2, round(1 / fraction)) if fraction > 0 else len(pool) + 1
    ordered = sorted(pool, key=lambda ex: _hash01(seed, ex.key))
    dev = ordered[::step] if len(pool) >= 4 else []
    chosen = {ex.key for ex in dev}
    return [ex for ex in pool if ex.key not in chosen], dev, "utterance"


def build_splits(
    projects: Sequence[Project],
    include_edited: bool = False,
    dev_fraction: float = DEV_FRACTION,
    test_fraction: float = TEST_FRACTION,
) -> Splits:
    """Train/dev/test examples from one or more projects (each keeps its own test set)."""
    pool: list[Example] = []
    test: list[Example] = []
    for project in projects:
        examples = collect_examples(project, include_edited)
        p, t = held_out(project, examples, test_fraction)
        pool += p
        test += t
    train, dev, by = split_train_dev(pool, dev_fraction)
    return Splits(train, dev, test, by)


def _clip_name(ex: Example, index: int) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in ex.key)[-60:]
    return f"{index:06d}-{safe}.wav"


def export_dataset(splits: Splits, out_dir: str | Path, state: Progress | None = None) -> Path:
    """Write ``clips/<split>/*.wav`` (16 kHz mono) and ``manifest.jsonl`` into ``out_dir``.

    Built in a temporary folder beside ``out_dir`` and renamed at the end, so
    a failure or cancel leaves no half-written dataset. Returns the manifest.
    """
    out = Path(out_dir)
    if out.exists():
        raise DatasetError(f"'{out}' already exists; choose a new folder for the dataset.")
    out.parent.mkdir(parents=True, exist_ok=True)
    items = [(name, ex) for name in SPLITS for ex in getattr(splits, name)]
    if not items:
        raise DatasetError("There are no examples to export.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        lines = []
        for i, (split, ex) in enumerate(items):
            if state is not None:
                state.set_progress(i / len(items), f"Cutting clips ({i}/{len(items)})")
            start = None if ex.start_ms is None else ex.start_ms / 1000
            end = None if ex.end_ms is None else ex.end_ms / 1000
            audio = load_model_audio(ex.audio_path, start, end)
            rel = Path("clips") / split / _clip_name(ex, i)
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            sf.write(tmp / rel, np.clip(audio, -1, 1), MODEL_RATE, subtype="PCM_16")
            record = {k: v for k, v in asdict(ex).items() if k != "audio_path"}
            record |= {"audio": rel.as_posix(), "split": split, "duration": len(audio) / MODEL_RATE}
            lines.append(json.dumps(record, ensure_ascii=False))
        (tmp / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
        (tmp / "splits.json").write_text(
            json.dumps(
                {"split_by": splits.split_by, **{s: len(getattr(splits, s)) for s in SPLITS}}
            ),
            encoding="utf-8",
        )
        tmp.replace(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if state is not None:
        state.set_progress(1.0, f"Exported {len(items)} clips")
    return out / MANIFEST


def read_manifest(path: str | Path, split: str | None = None) -> list[Example]:
    """Examples of an exported dataset (``audio_path`` made absolute)."""
    path = Path(path)
    known = set(Example.__dataclass_fields__)
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        if split is not None and data.get("split") != split:
            continue
        fields = {k: v for k, v in data.items() if k in known}
        ex = Example(**{**fields, "audio_path": str(path.parent / data["audio"])})
        examples.append(replace(ex, start_ms=None, end_ms=None))
    return examples
