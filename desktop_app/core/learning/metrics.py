"""Scoring transcripts against references: WER, CER, MER, WIL and friends (jiwer).

Both sides are normalised with :func:`~.normalize.normalize_kk` first.
Utterances whose normalised reference is empty cannot be scored by WER and
are counted apart (``empty_refs``). Besides the jiwer measures a report has the
hypothesis/reference length ratio, insertions, and *hallucination-like* cases
as Kazakh model cards report them: a hypothesis much longer than its
reference, or one stuck in a loop (the same word or phrase over and over).
Breakdowns group utterances by speaker, gender, age band, language tag and code
switching (``mixed``: the reference's words are of two languages or more, e.g.
Kazakh with Russian words; ``monolingual``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import jiwer

from desktop_app.core.learning.normalize import normalize_kk

LONG_RATIO = 1.5  # hypothesis over 1.5× the reference's words: hallucination-like
LOOP_REPEATS = 3  # a word or phrase (up to 4 words) repeated 3+ times in a row
BREAKDOWN_KEYS = ("speaker", "gender", "age_band", "language", "code_switching")


@dataclass(frozen=True)
class Utterance:
    """One scored item: a reference, what the model said, and who spoke it."""

    key: str
    reference: str
    hypothesis: str
    speaker: str | None = None
    gender: str | None = None
    age_band: str | None = None
    language: str | None = None
    code_switching: str | None = None  # "mixed" / "monolingual" (the reference's words)


@dataclass
class Scores:
    """Corpus-level scores over ``n`` utterances (error rates are fractions, not %)."""

    n: int = 0
    wer: float = 0.0
    cer: float = 0.0
    mer: float = 0.0
    wil: float = 0.0
    length_ratio: float = 0.0  # hypothesis words / reference words
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    ref_words: int = 0
    hallucinations: int = 0
    empty_refs: int = 0

    @property
    def hallucination_rate(self) -> float:
        return self.hallucinations / self.n if self.n else 0.0

    def as_metrics(self, prefix: str = "") -> dict[str, float]:
        """Flat numbers for a model manifest (``prefix`` e.g. ``"test_"``)."""
        values = {k: float(v) for k, v in asdict(self).items()}
        values["hallucination_rate"] = self.hallucination_rate
        return {f"{prefix}{k}": v for k, v in values.items()}


@dataclass
class WordRecall:
    """How many reference words of one group the hypotheses got right, in place."""

    words: int = 0  # occurrences in the references
    hits: int = 0
    distinct: int = 0

    @property
    def recall(self) -> float:
        return self.hits / self.words if self.words else 0.0


WORD_GROUPS = {
    "text_only": "seen only in text",
    "speech": "seen in corrected speech",
    "nowhere": "seen nowhere in training",
}


@dataclass
class EvalReport:
    """Scores of one model on one test set, overall and per group."""

    overall: Scores
    breakdown: dict[str, dict[str, Scores]] = field(default_factory=dict)
    worst: list[tuple[Utterance, float]] = field(default_factory=list)  # by utterance WER
    hallucinated: list[str] = field(default_factory=list)  # keys
    # Word recall by where a reference word was seen in training (see word_recall).
    word_recall: dict[str, WordRecall] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "word_recall": {k: asdict(v) for k, v in self.word_recall.items()},
            "overall": asdict(self.overall),
            "breakdown": {
                k: {g: asdict(s) for g, s in groups.items()} for k, groups in self.breakdown.items()
            },
            "worst": [{**asdict(u), "wer": w} for u, w in self.worst],
            "hallucinated": list(self.hallucinated),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalReport:
        return cls(
            overall=Scores(**data["overall"]),
            breakdown={
                k: {g: Scores(**s) for g, s in groups.items()}
                for k, groups in data.get("breakdown", {}).items()
            },
            worst=[
                (Utterance(**{k: v for k, v in w.items() if k != "wer"}), float(w["wer"]))
                for w in data.get("worst", [])
            ],
            hallucinated=list(data.get("hallucinated", [])),
            word_recall={k: WordRecall(**v) for k, v in data.get("word_recall", {}).items()},
        )


def has_loop(words: Sequence[str], repeats: int = LOOP_REPEATS, max_n: int = 4) -> bool:
    """True when some 1..``max_n``-word phrase occurs ``repeats`` times back to back."""
    for n in range(1, max_n + 1):
        for start in range(len(words) - n * repeats + 1):
            phrase = words[start : start + n]
            if all(words[start + k * n : start + (k + 1) * n] == phrase for k in range(1, repeats)):
                return True
    return False


def is_hallucination(ref_norm: str, hyp_norm: str) -> bool:
    """A hypothesis far longer than the reference, or a loop the reference lacks."""
    ref, hyp = ref_norm.split(), hyp_norm.split()
    if not hyp:
        return False
    if len(hyp) > LONG_RATIO * max(1, len(ref)) + 1:
        return True
    return has_loop(hyp) and not has_loop(ref)


def score(
    utterances: Sequence[Utterance], normalize: Callable[[str], str] = normalize_kk
) -> Scores:
    """Corpus-level scores of ``utterances`` (micro-averaged, as jiwer does)."""
    refs, hyps = [], []
    scores = Scores()
    for u in utterances:
        ref, hyp = normalize(u.reference), normalize(u.hypothesis)
        if not ref:
            scores.empty_refs += 1
            continue
        refs.append(ref)
        hyps.append(hyp)
        scores.hallucinations += is_hallucination(ref, hyp)
    scores.n = len(refs)
    if not refs:
        return scores
    words = jiwer.process_words(refs, hyps)
    scores.wer, scores.mer, scores.wil = words.wer, words.mer, words.wil
    scores.substitutions = words.substitutions
    scores.deletions = words.deletions
    scores.insertions = words.insertions
    scores.ref_words = words.hits + words.substitutions + words.deletions
    hyp_words = words.hits + words.substitutions + words.insertions
    scores.length_ratio = hyp_words / scores.ref_words if scores.ref_words else 0.0
    scores.cer = jiwer.cer(refs, hyps)
    return scores


def utterance_wer(u: Utterance, normalize: Callable[[str], str] = normalize_kk) -> float | None:
    ref, hyp = normalize(u.reference), normalize(u.hypothesis)
    return jiwer.wer(ref, hyp) if ref else None


def evaluate_utterances(
    utterances: Sequence[Utterance],
    normalize: Callable[[str], str] = normalize_kk,
    worst: int = 10,
) -> EvalReport:
    """Overall scores, per-group breakdowns and the worst utterances."""
    report = EvalReport(overall=score(utterances, normalize))
    for key in BREAKDOWN_KEYS:
        groups: dict[str, list[Utterance]] = defaultdict(list)
        for u in utterances:
            groups[getattr(u, key) or "unknown"].append(u)
        report.breakdown[key] = {g: score(us, normalize) for g, us in sorted(groups.items())}
    rated = [(u, w) for u in utterances if (w := utterance_wer(u, normalize)) is not None]
    report.worst = sorted(rated, key=lambda uw: -uw[1])[:worst]
    report.hallucinated = [
        u.key
        for u in utterances
        if (ref := normalize(u.reference)) and is_hallucination(ref, normalize(u.hypothesis))
    ]
    return report


def relative_reduction(before: float, after: float) -> float:
    """``(before - after) / before``: 0.3 means 30 % fewer errors."""
    return (before - after) / before if before > 0 else 0.0


def word_group(word: str, text_words: set[str], speech_words: set[str]) -> str:
    """``speech`` (in a real training transcript), ``text_only`` or ``nowhere``."""
    if word in speech_words:
        return "speech"
    return "text_only" if word in text_words else "nowhere"


def word_recall(
    utterances: Sequence[Utterance],
    text_words: set[str],
    speech_words: set[str],
    normalize: Callable[[str], str] = normalize_kk,
) -> dict[str, WordRecall]:
    """Recall of reference words grouped by where training saw them (:data:`WORD_GROUPS`).

    A word counts as recognised when the word alignment (jiwer) matches it
    exactly; ``text_words`` and ``speech_words`` are scoring-normalised
    vocabularies of the synthetic and the real training transcripts.
    """
    out = {g: WordRecall() for g in WORD_GROUPS}
    seen: dict[str, set[str]] = {g: set() for g in WORD_GROUPS}
    for u in utterances:
        ref, hyp = normalize(u.reference), normalize(u.hypothesis)
        if not ref:
            continue
        words = ref.split()
        hit = [False] * len(words)
        if hyp:
            for chunk in jiwer.process_words(ref, hyp).alignments[0]:
                if chunk.type == "equal":
                    for i in range(chunk.ref_start_idx, chunk.ref_end_idx):
                        hit[i] = True
        for w, h in zip(words, hit, strict=True):
            g = word_group(w, text_words, speech_words)
            out[g].words += 1
            out[g].hits += h
            seen[g].add(w)
    for g, ws in seen.items():
        out[g].distinct = len(ws)
    return out
