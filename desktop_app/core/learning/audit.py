"""A data audit before training: how much there is, who speaks, what looks wrong.

Suspicious items are listed, not removed: a linguist decides. Kinds:

* ``empty``: no text after normalisation (nothing to learn from);
* ``repeated``: the same normalised text in several segments of one speaker
  (a paste slip, or a stock phrase that would dominate a small set; the same
  prompt read by different speakers is fine);
* ``too_long``: more characters than anyone says in that time (text probably
  belongs to a neighbouring segment too);
* ``too_short``: a long segment with very little text (missing words);
* ``loop``: a word or phrase repeated three or more times in a row;
* ``long_audio``: over 30 s, which Whisper cannot take in one window.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from desktop_app.core.learning.dataset import Example, Splits
from desktop_app.core.learning.metrics import has_loop
from desktop_app.core.learning.normalize import normalize_kk

MAX_CHARS_PER_S = 25.0  # fast speech is ~15-20 letters a second
MIN_CHARS_PER_S = 1.0  # checked only for segments over 3 s
MAX_CLIP_S = 30.0
PARTICIPANT_BREAKDOWNS = {
    "gender": "gender",
    "age_band": "age band",
    "dialect": "dialect",
    "region": "region",
    "l1": "first language",
}
"""Speaker fields the audit breaks the audio down by (Example attribute → label)."""


@dataclass(frozen=True)
class Suspicious:
    key: str
    kind: str
    text: str
    detail: str


@dataclass
class SplitSummary:
    segments: int = 0
    hours: float = 0.0
    speakers: int = 0


@dataclass
class DataAudit:
    segments: int = 0
    hours: float = 0.0
    speakers: dict[str, int] = field(default_factory=dict)  # name -> segments
    speaker_seconds: dict[str, float] = field(default_factory=dict)
    genders: dict[str, int] = field(default_factory=dict)
    age_bands: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)
    hours_by: dict[str, dict[str, float]] = field(default_factory=dict)
    """Hours of audio by speaker field (:data:`PARTICIPANT_BREAKDOWNS`) and value."""
    splits: dict[str, SplitSummary] = field(default_factory=dict)
    code_switching: dict[str, SplitSummary] = field(default_factory=dict)  # mixed/monolingual
    split_by: str = ""
    suspicious: list[Suspicious] = field(default_factory=list)

    def counts_by_kind(self) -> dict[str, int]:
        return dict(Counter(s.kind for s in self.suspicious))

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.segments} segments, {self.hours * 60:.1f} minutes, "
            f"{len(self.speakers)} speaker(s)",
        ]
        for name, s in self.splits.items():
            lines.append(
                f"  {name}: {s.segments} segments, {s.hours * 60:.1f} min, {s.speakers} speaker(s)"
            )
        if self.split_by:
            lines.append(f"  train and dev are kept apart by {self.split_by}")
        for key, label in PARTICIPANT_BREAKDOWNS.items():
            by = self.hours_by.get(key) or {}
            if set(by) - {"unknown"}:
                parts = ", ".join(f"{k} {v * 60:.1f}" for k, v in by.items())
                lines.append(f"Minutes by {label}: {parts}")
        if self.languages:
            tags = ", ".join(f"{k} {v}" for k, v in sorted(self.languages.items()))
            lines.append(f"Language tags: {tags}")
        if self.code_switching:
            parts = [
                f"{name} {s.segments} segments ({s.hours * 60:.1f} min)"
                for name, s in sorted(self.code_switching.items())
            ]
            lines.append("Code-switching (word languages): " + ", ".join(parts))
        kinds = self.counts_by_kind()
        if kinds:
            lines.append("Suspicious: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        return lines


def _tally(values: Sequence[str | None]) -> dict[str, int]:
    return dict(sorted(Counter(v or "unknown" for v in values).items()))


def find_suspicious(examples: Sequence[Example]) -> list[Suspicious]:
    found: list[Suspicious] = []
    by_text: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for ex in examples:
        norm = normalize_kk(ex.text)
        seconds = ex.duration_s
        if not norm:
            found.append(Suspicious(ex.key, "empty", ex.text, "no words to learn from"))
            continue
        by_text[(norm, ex.speaker or f"{ex.project}/{ex.recording_id}")].append(ex)
        rate = len(norm) / seconds if seconds > 0 else float("inf")
        if rate > MAX_CHARS_PER_S:
            found.append(
                Suspicious(ex.key, "too_long", ex.text, f"{rate:.0f} letters/s in {seconds:.1f} s")
            )
        elif seconds > 3 and rate < MIN_CHARS_PER_S:
            found.append(
                Suspicious(ex.key, "too_short", ex.text, f"{len(norm)} letters in {seconds:.1f} s")
            )
        if has_loop(norm.split()):
            found.append(Suspicious(ex.key, "loop", ex.text, "a word or phrase repeats"))
        if seconds > MAX_CLIP_S:
            found.append(
                Suspicious(ex.key, "long_audio", ex.text, f"{seconds:.0f} s (over 30 s is cut)")
            )
    for (norm, _who), group in by_text.items():
        if len(group) > 1 and len(norm.split()) > 1:
            for ex in group:
                found.append(
                    Suspicious(ex.key, "repeated", ex.text, f"same text in {len(group)} segments")
                )
    return found


def hours_by_participant(
    examples: Sequence[Example], seconds: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Hours by each of :data:`PARTICIPANT_BREAKDOWNS`, most first (``unknown``
    when the speaker or the field is not known)."""
    out: dict[str, dict[str, float]] = {}
    for key in PARTICIPANT_BREAKDOWNS:
        by: dict[str, float] = defaultdict(float)
        for ex in examples:
            by[getattr(ex, key) or "unknown"] += seconds[ex.key] / 3600
        out[key] = dict(sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def audit(splits: Splits) -> DataAudit:
    """Counts, durations and suspicious texts of all three splits."""
    examples = splits.all()
    seconds = {ex.key: ex.duration_s for ex in examples}
    result = DataAudit(
        segments=len(examples),
        hours=sum(seconds.values()) / 3600,
        speakers=_tally([ex.speaker for ex in examples]),
        genders=_tally([ex.gender for ex in examples]),
        age_bands=_tally([ex.age_band for ex in examples]),
        languages=_tally([ex.language for ex in examples]),
        projects=_tally([ex.project for ex in examples]),
        split_by=splits.split_by,
    )
    result.hours_by = hours_by_participant(examples, seconds)
    for ex in examples:
        name = ex.speaker or "unknown"
        result.speaker_seconds[name] = result.speaker_seconds.get(name, 0.0) + seconds[ex.key]
    for name in ("train", "dev", "test"):
        part = getattr(splits, name)
        result.splits[name] = SplitSummary(
            segments=len(part),
            hours=sum(seconds[ex.key] for ex in part) / 3600,
            speakers=len({ex.speaker for ex in part if ex.speaker}),
        )
    for ex in examples:
        group = ex.code_switching
        if group is not None:
            part = result.code_switching.setdefault(group, SplitSummary())
            part.segments += 1
            part.hours += seconds[ex.key] / 3600
    result.suspicious = find_suspicious(examples)
    return result
