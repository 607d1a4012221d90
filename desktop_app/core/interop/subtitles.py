"""SubRip (.srt) and WebVTT (.vtt) subtitles.

Written: one cue per segment in time order. WebVTT keeps the speaker as a
voice span ``<v Name>`` and the language as ``<lang kk>``; SubRip has no
fields for them, so the speaker becomes a ``Name: `` prefix (and the language
is lost).

Read: UTF-8/UTF-16, ``,`` or ``.`` before the milliseconds, hours optional,
cue settings, NOTE/STYLE/REGION blocks and formatting tags ignored. Every
``start --> end`` line starts a cue, even without the blank line that should
come before it (a cue number right above it is not text); a block without a
valid time line is skipped with a warning that names its line. A leading
``Name: `` (at most three words, no digits) is read as the speaker when
``speaker_prefixes`` is on (the default).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import (
    DEFAULT_TIER,
    MAX_ITEMS,
    ExportRecording,
    SourceDocument,
    SourceItem,
    SourceTier,
)
from desktop_app.core.interop.text import iter_lines, read_text_file

# Hours of at most 9 digits (a cue time of thousands of digits is damage, not a time).
_TIME = r"(?:(\d{1,9}):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
# Tags never contain '<': a stray '<' ends the search there, so each is linear.
_VOICE = re.compile(r"<v(?:\.[^ <>]*)?\s+([^<>]*)>")
_LANG = re.compile(r"<lang\s+([^<>\s]+)\s*>")
_TAG = re.compile(r"</?[^<>]*>")
_PREFIX = re.compile(r"^([^\s:\d][^:\n\d]{0,39}?):\s+(\S.*)$", re.DOTALL)


def _stamp(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms_ = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms_:03d}"


def _one_line(text: str) -> str:
    # a blank line would end the cue early
    return "\n".join(line for line in text.strip().splitlines() if line.strip())


def write_srt(rec: ExportRecording, path: Path) -> None:
    blocks = []
    for n, item in enumerate(sorted(rec.items, key=lambda i: (i.start_ms, i.end_ms)), 1):
        text = _one_line(item.text)
        if item.speaker:
            text = f"{item.speaker.replace(':', '')}: {text}"
        blocks.append(f"{n}\n{_stamp(item.start_ms, ',')} --> {_stamp(item.end_ms, ',')}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")


def write_vtt(rec: ExportRecording, path: Path) -> None:
    blocks = ["WEBVTT\n"]
    for n, item in enumerate(sorted(rec.items, key=lambda i: (i.start_ms, i.end_ms)), 1):
        text = html.escape(_one_line(item.text), quote=False)
        if item.language:
            text = f"<lang {html.escape(item.language.replace(' ', '_'))}>{text}</lang>"
        if item.speaker:
            text = f"<v {html.escape(item.speaker)}>{text}</v>"
        blocks.append(f"{n}\n{_stamp(item.start_ms, '.')} --> {_stamp(item.end_ms, '.')}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")


def _ms(groups: tuple[str | None, ...]) -> int:
    h, m, s, frac = groups
    return ((int(h or 0) * 60 + int(m or 0)) * 60 + int(s or 0)) * 1000 + int(
        (frac or "0").ljust(3, "0")
    )


@dataclass
class _Cue:
    start: int
    end: int
    lines: list[str] = field(default_factory=list)


class _Reader:
    """One pass over the lines: a time line starts a cue, a blank line ends it."""

    def __init__(self, path: Path, vtt: bool) -> None:
        self.path, self.vtt = path, vtt
        self.cues: list[_Cue] = []
        self.bad = 0  # blocks without a valid time line
        self.first_bad = 0  # and the line of the first
        self.unseparated = 0  # cues that followed the previous one without a blank line
        self.cue: _Cue | None = None  # the cue whose text lines are being read
        self.skipping = vtt  # the WEBVTT header block runs to the first blank line
        self.at_block_start = not vtt

    def read(self, lines: Iterable[str]) -> None:
        it = iter(lines)
        line = next(it, None)
        n = 0
        while line is not None:
            following = next(it, None)
            self._line(line, n, following is not None and "-->" in following)
            line, n = following, n + 1

    def _line(self, line: str, n: int, before_time: bool) -> None:
        stripped = line.strip()
        if not stripped:
            self.cue, self.skipping, self.at_block_start = None, False, True
            return
        if "-->" in line:
            if self.cue is not None:
                self.unseparated += 1
            self.cue = self._timing(line, n)
            self.skipping, self.at_block_start = self.cue is None, False
            return
        if self.skipping:
            return
        if self.cue is not None:
            if before_time and stripped.isascii() and stripped.isdigit():
                self.cue = None  # the next cue's number, with no blank line before it
                self.unseparated += 1
            else:
                self.cue.lines.append(line)
            return
        if self.at_block_start and (
            before_time or (self.vtt and stripped.startswith(("NOTE", "STYLE", "REGION")))
        ):
            self.skipping = not before_time  # a cue identifier, or a block to ignore
        else:
            self._bad(n)
            self.skipping = True
        self.at_block_start = False

    def _bad(self, n: int) -> None:
        self.bad += 1
        self.first_bad = self.first_bad or n + 1

    def _timing(self, line: str, n: int) -> _Cue | None:
        m = _TIMING.match(line)
        if m is None:
            self._bad(n)
            return None
        if len(self.cues) >= MAX_ITEMS:
            raise InteropError(
                f"'{self.path.name}' has more than {MAX_ITEMS:,} cues; split it into smaller files."
            )
        cue = _Cue(_ms(m.groups()[:4]), _ms(m.groups()[4:]))
        self.cues.append(cue)
        return cue


def read_subtitles(path: Path, *, speaker_prefixes: bool = True) -> SourceDocument:
    text = read_text_file(path)
    vtt = path.suffix.lower() == ".vtt"
    if vtt and not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise InteropError(f"'{path.name}' is not a WebVTT file (it must start with 'WEBVTT').")
    doc = SourceDocument(path=path, format="vtt" if vtt else "srt", tiers=[])
    tier = SourceTier(name="subtitles", tier=DEFAULT_TIER)
    reader = _Reader(path, vtt)
    reader.read(iter_lines(text.lstrip("\ufeff")))
    for cue in reader.cues:
        body = "\n".join(cue.lines).strip()
        speaker = language = None
        if vtt:
            if voice := _VOICE.search(body):
                speaker = html.unescape(voice.group(1)).strip() or None
            if lang := _LANG.search(body):
                language = html.unescape(lang.group(1)).strip() or None
            body = html.unescape(_TAG.sub("", body))
        else:
            body = _TAG.sub("", body)
        body = body.strip()
        if speaker is None and speaker_prefixes and (p := _PREFIX.match(body)):
            name = p.group(1).strip()
            if len(name.split()) <= 3:
                speaker, body = name, p.group(2).strip()
        tier.items.append(SourceItem(cue.start, cue.end, body, speaker=speaker, language=language))
    if reader.bad:
        doc.warnings.append(
            f"{reader.bad} block(s) without a valid 'start --> end' time line were "
            f"skipped (first at line {reader.first_bad})."
        )
    if reader.unseparated:
        doc.warnings.append(
            f"{reader.unseparated} cue(s) had no blank line before them; "
            "each was read as a cue of its own."
        )
    if not tier.items and reader.bad:
        raise InteropError(
            f"'{path.name}' has no subtitle cues with valid times "
            f"(the first bad time line is line {reader.first_bad})."
        )
    doc.tiers.append(tier)
    return doc
