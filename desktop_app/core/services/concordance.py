"""Concordance search: every occurrence of a word, prefix or regex as a
keyword-in-context (KWIC) line, over one tier or all tiers of a project.

Three modes:

``word``
    whole words: ``алматы`` finds "Алматы" but not "Алматыда"; several
    words are a phrase (adjacent, any punctuation between).
``prefix``
    as typed in a search box: the last word may be the start of a word
    (``қазақ`` finds "Қазақстан"); the words before it are whole words.
``regex``
    a Python regular expression over the segment text.

Every mode narrows the segments with the full-text index (``segments_fts``,
SQLite FTS5 with ``unicode61 remove_diacritics 0``: Kazakh and Russian
letters are word letters, case is folded, й/и and ё/е stay distinct), then
the regular expression finds the exact spans. A regex with no literal word
start (``алмат[ыа]``, ``\\w+дың\\b``) uses the index's vocabulary: the
words that contain its literal piece (e.g. ``дың``) select the candidates.
A regex with no literal part at all scans every segment text.

Matching is case-insensitive unless asked otherwise (Python's Unicode case
rules: Ә/ә, Қ/қ, Ё/ё, І/і …).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from desktop_app.core.errors import JazbaError
from desktop_app.core.project import Project
from desktop_app.core.services.regex_prefilter import is_token_char, required_literals

Mode = Literal["word", "prefix", "regex"]
MODES: tuple[Mode, ...] = ("word", "prefix", "regex")
DEFAULT_LIMIT = 1000
DEFAULT_CONTEXT = 40

_TOKEN = r"(?:[^\W_]|[\u0300-\u036f])"  # a letter, digit or combining mark
_NOT_AFTER_TOKEN = r"(?<![^\W_])(?<![\u0300-\u036f])"
_NOT_BEFORE_TOKEN = rf"(?!{_TOKEN})"
_WORDS = re.compile(rf"{_TOKEN}+")
_SPACES = re.compile(r"\s+")
# An inner piece selects by vocabulary when it is at least this long and names
# at most this many indexed words (an OR of more costs more than a scan).
MIN_VOCAB_PIECE = 3
MAX_VOCAB_TERMS = 100


class SearchPatternError(JazbaError):
    """The search pattern cannot be used (an invalid regular expression)."""


@dataclass(frozen=True)
class ConcordanceHit:
    """One occurrence: the segment, where it is, and its keyword in context."""

    segment_id: int
    recording_id: int
    recording_title: str
    tier_id: int
    tier_name: str
    speaker_name: str | None
    start_ms: int
    end_ms: int
    status: str
    left: str  # context before the match (trimmed at a word boundary, "…" if cut)
    match: str
    right: str  # context after the match
    text: str  # the whole segment text
    match_start: int  # character offsets of the match in ``text``
    match_end: int
    project: str = ""


@dataclass(frozen=True)
class Plan:
    """How a pattern is searched: the exact regex, and the index prefilter."""

    regex: re.Pattern[str]
    fts: str | None  # an FTS5 MATCH query whose rows include every match
    inner: tuple[str, ...] = ()  # literal pieces inside words (vocabulary lookup)

    @property
    def strategy(self) -> str:
        """``index``, ``substring`` (case-sensitive inner piece, SQL ``instr``),
        ``vocabulary`` (falls back to a scan when the piece is too common) or ``scan``."""
        if self.fts:
            return "index"
        if self.inner and not self.regex.flags & re.IGNORECASE:
            return "substring"
        if self.inner and max(map(len, self.inner)) >= MIN_VOCAB_PIECE:
            return "vocabulary"
        return "scan"


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def plan(pattern: str, mode: Mode = "word", *, case_sensitive: bool = False) -> Plan | None:
    """The search plan for ``pattern``; None when there is nothing to search for.

    Raises :class:`SearchPatternError` for an invalid regular expression or
    an unknown mode.
    """
    flags = 0 if case_sensitive else re.IGNORECASE
    if mode == "regex":
        if not pattern.strip():
            return None
        try:
            regex = re.compile(pattern, flags)
            literals = required_literals(pattern, flags)
        except (re.error, RecursionError, OverflowError) as exc:
            where = f" at position {exc.pos}" if getattr(exc, "pos", None) is not None else ""
            raise SearchPatternError(
                f"Not a valid regular expression: {getattr(exc, 'msg', exc)}{where}."
            ) from exc
        return Plan(regex, literals.fts, literals.inner)
    if mode not in ("word", "prefix"):
        raise SearchPatternError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
    words = _WORDS.findall(pattern)
    if not words:
        return None
    body = r"[\W_]+".join(re.escape(w) for w in words)
    tail = f"{_TOKEN}*" if mode == "prefix" else _NOT_BEFORE_TOKEN
    regex = re.compile(f"{_NOT_AFTER_TOKEN}{body}{tail}", flags)
    fts = _quote(" ".join(words)) + ("*" if mode == "prefix" else "")
    return Plan(regex, fts)


def _trim_left(left: str, context: int) -> str:
    left = _SPACES.sub(" ", left)
    if len(left) <= context:
        return left
    cut = left[-context:]
    if is_token_char(left[-context - 1]) and cut and is_token_char(cut[0]):
        space = cut.find(" ")
        cut = cut[space + 1 :] if space >= 0 else cut
    return "…" + cut.lstrip()


def _trim_right(right: str, context: int) -> str:
    right = _SPACES.sub(" ", right)
    if len(right) <= context:
        return right
    cut = right[:context]
    if is_token_char(right[context]) and cut and is_token_char(cut[-1]):
        space = cut.rfind(" ")
        cut = cut[:space] if space >= 0 else cut
    return cut.rstrip() + "…"


def kwic(text_: str, start: int, end: int, context: int = DEFAULT_CONTEXT) -> tuple[str, str, str]:
    """Left context, match and right context (about ``context`` characters each
    side, cut at a word boundary where a word would be cut)."""
    return (
        _trim_left(text_[:start], context),
        _SPACES.sub(" ", text_[start:end]),
        _trim_right(text_[end:], context),
    )


_SELECT = """
    SELECT s.id, s.recording_id, r.title, s.tier_id, t.name AS tier, sp.name AS speaker,
           s.start_ms, s.end_ms, s.status, s.text
    FROM segments s INDEXED BY ix_segments_recording_start
    JOIN recordings r ON r.id = s.recording_id
    JOIN tiers t ON t.id = s.tier_id
    LEFT JOIN speakers sp ON sp.id = s.speaker_id
    WHERE s.deleted = 0
      AND (:tier IS NULL OR s.tier_id = :tier)
      AND (:rec IS NULL OR s.recording_id = :rec)
      {where}
    ORDER BY s.recording_id, s.start_ms
"""
# Rows come in the index's order (recording, start, id), so the first ``limit``
# hits are found without sorting every candidate: a common word stops early, a
# rare one costs one pass over the index with a set lookup per segment.
_IN_FTS = "AND s.id IN (SELECT rowid FROM segments_fts WHERE segments_fts MATCH :match)"


def _vocabulary_match(session: Session, inner: Sequence[str]) -> str | None:
    """An FTS query for the indexed words containing every piece (one piece
    per word suffices), or None when there are too many such words."""
    piece = max(inner, key=len).lower()  # as unicode61 folds
    if len(piece) < MIN_VOCAB_PIECE:
        return None
    conn = session.connection()
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.segments_vocab "
        "USING fts5vocab(main, segments_fts, 'row')"
    )
    rows = conn.execute(
        text("SELECT term FROM temp.segments_vocab WHERE instr(term, :p) > 0 LIMIT :n"),
        {"p": piece, "n": MAX_VOCAB_TERMS + 1},
    ).fetchall()
    if len(rows) > MAX_VOCAB_TERMS:
        return None
    if not rows:
        return '""'  # nothing can match: an empty phrase finds no row
    return " OR ".join(_quote(r[0]) for r in rows)


def _rows(session: Session, p: Plan, tier_id: int | None, recording_id: int | None) -> Any:
    params: dict[str, object] = {"tier": tier_id, "rec": recording_id}
    where = ""
    if p.fts is not None:
        where, params["match"] = _IN_FTS, p.fts
    elif p.inner and not p.regex.flags & re.IGNORECASE:
        # case-sensitive: every match contains the piece as written; instr() is exact
        where, params["lit"] = "AND instr(s.text, :lit) > 0", max(p.inner, key=len)
    elif p.inner and (match := _vocabulary_match(session, p.inner)) is not None:
        where, params["match"] = _IN_FTS, match
    return session.execute(text(_SELECT.format(where=where)), params)


def iter_hits(
    session: Session,
    p: Plan,
    *,
    tier_id: int | None = None,
    recording_id: int | None = None,
    context: int = DEFAULT_CONTEXT,
    prefilter: bool = True,
    project_name: str = "",
) -> Iterator[ConcordanceHit]:
    """Every occurrence in recording, time and tier order (lazily)."""
    if not prefilter:
        p = Plan(p.regex, None)
    for row in _rows(session, p, tier_id, recording_id):
        for m in p.regex.finditer(row.text):
            if m.end() == m.start():
                continue  # an empty match shows nothing
            left, match, right = kwic(row.text, m.start(), m.end(), context)
            yield ConcordanceHit(
                segment_id=row.id,
                recording_id=row.recording_id,
                recording_title=row.title,
                tier_id=row.tier_id,
                tier_name=row.tier,
                speaker_name=row.speaker,
                start_ms=row.start_ms,
                end_ms=row.end_ms,
                status=row.status,
                left=left,
                match=match,
                right=right,
                text=row.text,
                match_start=m.start(),
                match_end=m.end(),
                project=project_name,
            )


def concordance(
    project: Project,
    pattern: str,
    *,
    mode: Mode = "word",
    tier_id: int | None = None,
    recording_id: int | None = None,
    case_sensitive: bool = False,
    limit: int = DEFAULT_LIMIT,
    context: int = DEFAULT_CONTEXT,
    prefilter: bool = True,
) -> list[ConcordanceHit]:
    """The first ``limit`` occurrences of ``pattern`` as KWIC hits.

    ``tier_id``/``recording_id`` narrow the search (None: all). ``prefilter``
    False scans every segment (the reference the index is measured against).
    """
    p = plan(pattern, mode, case_sensitive=case_sensitive)
    if p is None or limit <= 0:
        return []
    hits: list[ConcordanceHit] = []
    with project.unit() as s:
        for hit in iter_hits(
            s,
            p,
            tier_id=tier_id,
            recording_id=recording_id,
            context=context,
            prefilter=prefilter,
            project_name=project.name,
        ):
            hits.append(hit)
            if len(hits) >= limit:
                break
    return hits


CSV_FIELDS = (
    "project",
    "recording_id",
    "recording",
    "tier",
    "speaker",
    "start",
    "end",
    "start_ms",
    "end_ms",
    "status",
    "left",
    "match",
    "right",
    "text",
    "segment_id",
)


def _clock(ms: int) -> str:
    s, ms = divmod(int(ms), 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}"


def csv_row(hit: ConcordanceHit) -> dict[str, object]:
    return {
        "project": hit.project,
        "recording_id": hit.recording_id,
        "recording": hit.recording_title,
        "tier": hit.tier_name,
        "speaker": hit.speaker_name or "",
        "start": _clock(hit.start_ms),
        "end": _clock(hit.end_ms),
        "start_ms": hit.start_ms,
        "end_ms": hit.end_ms,
        "status": hit.status,
        "left": hit.left,
        "match": hit.match,
        "right": hit.right,
        "text": hit.text,
        "segment_id": hit.segment_id,
    }


def write_csv(hits: Iterable[ConcordanceHit], path: str | Path) -> int:
    """Write the hits as CSV (UTF-8 with a byte-order mark, so spreadsheet
    programs read Cyrillic right); returns how many rows were written. The
    file is replaced whole, never left half-written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for hit in hits:
                writer.writerow(csv_row(hit))
                n += 1
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise JazbaError(f"Cannot write '{path}': {exc.strerror or exc}.") from exc
    return n


def hit_dict(hit: ConcordanceHit) -> dict[str, object]:
    """A hit as plain data (for JSON output)."""
    return asdict(hit)
