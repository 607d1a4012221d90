"""SubRip (.srt) and WebVTT (.vtt) subtitles.

Written: one cue per segment in time order. WebVTT keeps the speaker as a
voice span ``<v Name>`` and the language as ``<lang kk>``; SubRip has no
fields for them, so the speaker becomes a ``Name: `` prefix (and the language
is lost).

Read: UTF-8/UTF-16, ``,`` or ``.`` before the milliseconds, hours optional,
cue settings, NOTE/STYLE/REGION blocks and formatting tags ignored. A leading
``Name: `` (at most three words, no digits) is read as the speaker when
``speaker_prefixes`` is on (the default).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import (
    DEFAULT_TIER,
    ExportRecording,
    SourceDocument,
    SourceItem,
    SourceTier,
)
from desktop_app.core.interop.text import read_text_file

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]*)>")
_LANG = re.compile(r"<lang\s+([^>\s]+)\s*>")
_TAG = re.compile(r"</?[^>]*>")
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


def read_subtitles(path: Path, *, speaker_prefixes: bool = True) -> SourceDocument:
    text = read_text_file(path)
    vtt = path.suffix.lower() == ".vtt"
    if vtt and not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise InteropError(f"'{path.name}' is not a WebVTT file (it must start with 'WEBVTT').")
    doc = SourceDocument(path=path, format="vtt" if vtt else "srt", tiers=[])
    tier = SourceTier(name="subtitles", tier=DEFAULT_TIER)
    bad = 0
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        at = next((i for i, line in enumerate(lines[:3]) if "-->" in line), None)
        if at is None:
            head = lines[0].strip()
            if not (head.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")) or head.isdigit()):
                bad += 1
            continue
        m = _TIMING.match(lines[at])
        if m is None:
            bad += 1
            continue
        start, end = _ms(m.groups()[:4]), _ms(m.groups()[4:])
        body = "\n".join(lines[at + 1 :]).strip()
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
        tier.items.append(SourceItem(start, end, body, speaker=speaker, language=language))
    if bad:
        doc.warnings.append(
            f"{bad} block(s) without a valid 'start --> end' time line were skipped."
        )
    if not tier.items and bad:
        raise InteropError(f"'{path.name}' has no subtitle cues with valid times.")
    doc.tiers.append(tier)
    return doc
