"""Seed files for fuzzing the importers: small valid files of every format.

Annotation files are written here (and the Praat-written TextGrids of
``tests/interop/data`` are used as they are); audio is made with espeak-ng
(Kazakh voice) and sox (``sox -D``: no dither, the same bytes on every run).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ANNOTATION_FORMATS = ("eaf", "textgrid", "srt", "vtt", "csv", "tsv", "jsonl")
AUDIO_FORMATS = ("wav", "flac", "ogg", "mp3")
SUFFIX = {"eaf": ".eaf", "textgrid": ".TextGrid", **{f: f".{f}" for f in ANNOTATION_FORMATS[2:]}}
SUFFIX |= {f: f".{f}" for f in AUDIO_FORMATS}
DATA = Path(__file__).resolve().parents[1] / "interop" / "data"


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes
    encoding: str | None  # None: a binary (audio) file


_EAF = """<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="" DATE="2024-05-02T10:00:00+06:00" FORMAT="3.0" VERSION="3.0">
  <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
    <MEDIA_DESCRIPTOR MEDIA_URL="file:///field/speech.wav" MIME_TYPE="audio/x-wav"
        RELATIVE_MEDIA_URL="./speech.wav"/>
    <PROPERTY NAME="lastUsedAnnotation">12</PROPERTY>
  </HEADER>
  <TIME_ORDER>
    <TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="500"/>
    <TIME_SLOT TIME_SLOT_ID="ts2"/>
    <TIME_SLOT TIME_SLOT_ID="ts3"/>
    <TIME_SLOT TIME_SLOT_ID="ts4" TIME_VALUE="2500"/>
    <TIME_SLOT TIME_SLOT_ID="ts5" TIME_VALUE="3000"/>
    <TIME_SLOT TIME_SLOT_ID="ts6" TIME_VALUE="4200"/>
  </TIME_ORDER>
  <TIER LINGUISTIC_TYPE_REF="utterance" PARTICIPANT="Айгерім" TIER_ID="Айгерім" LANG_REF="kaz">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts4">
      <ANNOTATION_VALUE>Сәлем, досым қалай</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a2" TIME_SLOT_REF1="ts5" TIME_SLOT_REF2="ts6">
      <ANNOTATION_VALUE>Жақсы &amp; рақмет</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="word" PARENT_REF="Айгерім" PARTICIPANT="Айгерім" TIER_ID="words">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="w1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">
      <ANNOTATION_VALUE>Сәлем</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="w2" TIME_SLOT_REF1="ts2" TIME_SLOT_REF2="ts3">
      <ANNOTATION_VALUE>досым</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="w3" TIME_SLOT_REF1="ts3" TIME_SLOT_REF2="ts4">
      <ANNOTATION_VALUE>қалай</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="pos" PARENT_REF="words" TIER_ID="pos">
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="p1" ANNOTATION_REF="w1">
      <ANNOTATION_VALUE>INTJ</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="p2" ANNOTATION_REF="w2">
      <ANNOTATION_VALUE>NOUN</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="syl" PARENT_REF="words" TIER_ID="syllables">
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="s1" ANNOTATION_REF="w3">
      <ANNOTATION_VALUE>қа</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="s2" ANNOTATION_REF="w3" PREVIOUS_ANNOTATION="s1">
      <ANNOTATION_VALUE>лай</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="jazba-status" PARENT_REF="Айгерім" TIER_ID="Айгерім#status">
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="st1" ANNOTATION_REF="a1">
      <ANNOTATION_VALUE>approved</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
  </TIER>
  <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="utterance"
      TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Time_Subdivision" LINGUISTIC_TYPE_ID="word"
      TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" CONTROLLED_VOCABULARY_REF="UD"
      LINGUISTIC_TYPE_ID="pos" TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Subdivision" LINGUISTIC_TYPE_ID="syl"
      TIME_ALIGNABLE="false"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" LINGUISTIC_TYPE_ID="jazba-status"
      TIME_ALIGNABLE="false"/>
  <LANGUAGE LANG_ID="kaz" LANG_LABEL="Kazakh"/>
  <CONSTRAINT DESCRIPTION="Time subdivision" STEREOTYPE="Time_Subdivision"/>
  <CONTROLLED_VOCABULARY CV_ID="UD">
    <CV_ENTRY_ML CVE_ID="c1"><CVE_VALUE LANG_REF="kaz">NOUN</CVE_VALUE></CV_ENTRY_ML>
  </CONTROLLED_VOCABULARY>
</ANNOTATION_DOCUMENT>
"""

_TEXTGRID = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 6
tiers? <exists>
size = 3
item []:
    item [1]:
        class = "IntervalTier"
        name = "transcription@Айгерім"
        xmin = 0
        xmax = 6
        intervals: size = 3
        intervals [1]:
            xmin = 0
            xmax = 1.25
            text = ""
        intervals [2]:
            xmin = 1.25
            xmax = 3.5
            text = "Сәлем, ""досым"""
        intervals [3]:
            xmin = 3.5
            xmax = 6
            text = "Жақсы"
    item [2]:
        class = "IntervalTier"
        name = "transcription@Айгерім#lang"
        xmin = 0
        xmax = 6
        intervals: size = 1
        intervals [1]:
            xmin = 1.25
            xmax = 3.5
            text = "kk"
    item [3]:
        class = "TextTier"
        name = "events"
        xmin = 0
        xmax = 6
        points: size = 1
        points [1]:
            number = 2.1
            mark = "cough"
'''

_SRT = """1
00:00:00,500 --> 00:00:01,800
Айгерім: Сәлем, <i>досым</i>!

2
00:00:02,000 --> 00:00:03,250
Как дела?
Жақсы.

3
00:00:04,000 --> 00:00:05,900
Bolat: рақмет
"""

_VTT = """WEBVTT
Kind: captions

NOTE written by hand

intro
00:00.500 --> 00:01.800 align:start
<v Айгерім><lang kk>Сәлем, досым!</lang></v>

00:02.000 --> 00:03.250
<v.loud Bolat>Как &amp; дела?

00:00:04.000 --> 00:00:05.900
<c.yellow>рақмет</c>
"""

_COLUMNS = ("utt_id", "recording", "start_ms", "end_ms", "speaker", "tier", "tier_kind",
            "language", "status", "text")  # fmt: skip
_ROWS = (
    ("u1", "speech", 500, 1800, "Айгерім", "transcription", "transcription", "kk", "edited",
     "Сәлем, досым!"),
    ("u2", "speech", 2000, 3250, "Bolat", "transcription", "transcription", "ru", "approved",
     'Как "дела"?'),
    ("u3", "speech", 2000, 3250, "", "translation", "translation", "en", "auto", "How, are you"),
    ("u4", "speech", 4000, 5900, "Айгерім", "notes", "comment", "", "", "laughs\tloudly"),
)  # fmt: skip


def _table(sep: str) -> str:
    def cell(v: object) -> str:
        text = str(v)
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in '",\t\n') else text

    return "\n".join(sep.join(cell(v) for v in row) for row in (_COLUMNS, *_ROWS)) + "\n"


def _jsonl() -> str:
    rows = [dict(zip(_COLUMNS, row, strict=True)) for row in _ROWS]
    rows.append({"audio_filepath": "speech.wav", "offset": 1.0, "duration": 0.5, "text": "су"})
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def annotation_seeds(fmt: str) -> list[Seed]:
    utf8 = {"eaf": _EAF, "textgrid": _TEXTGRID, "srt": _SRT, "vtt": _VTT}
    if fmt in utf8:
        seeds = [Seed(f"{fmt}-1", utf8[fmt].encode(), "utf-8")]
        if fmt == "textgrid":  # as Praat writes them: UTF-16, three text formats
            for path in sorted(DATA.glob("praat_*.TextGrid")):
                seeds.append(Seed(path.stem, path.read_bytes(), "utf-16"))
        return seeds
    text = {"csv": _table(","), "tsv": _table("\t"), "jsonl": _jsonl()}[fmt]
    return [Seed(f"{fmt}-1", text.encode(), "utf-8")]


def make_audio_seeds(folder: Path) -> dict[str, list[Seed]]:
    """Speech (espeak-ng, Kazakh voice) and a stereo tone, in each audio format (sox)."""
    if not (shutil.which("sox") and shutil.which("espeak-ng")):
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    speech, tone = folder / "espeak.wav", folder / "tone.wav"
    if not speech.exists():
        subprocess.run(
            ["espeak-ng", "-v", "kk", "-w", str(speech), "Сәлем, досым! Қалың қалай?"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sox", "-D", "-n", "-r", "44100", "-c", "2", str(tone), "synth", "1.2", "sine", "440"],
            check=True,
            capture_output=True,
        )
    out: dict[str, list[Seed]] = {}
    for fmt in AUDIO_FORMATS:
        for src, rate in ((speech, "16000"), (tone, "44100")):
            dst = folder / f"{src.stem}.{fmt}"
            if not dst.exists():
                subprocess.run(
                    ["sox", "-D", str(src), "-r", rate, str(dst)], check=True, capture_output=True
                )
            out.setdefault(fmt, []).append(Seed(dst.stem + "-" + fmt, dst.read_bytes(), None))
    return out
