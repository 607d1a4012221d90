"""ELAN ``.eaf`` (EAF 3.0): written with pympi-ling, read from a defused XML tree.

Written: one time-aligned tier per independent tier and speaker
(``tier@speaker``, ELAN ``PARTICIPANT`` = speaker, linguistic type = the
tier's kind, ``LANG_REF`` = its most common language), and under each a
``#status`` tier (controlled vocabulary ``jazba-status``: auto/edited/approved)
and, when any segment has a language, a ``#lang`` tier (vocabulary
``jazba-language``), both symbolic associations, and, when segments have word
language tags, a ``#wordlang`` tier (symbolic subdivision, vocabulary
``jazba-wordlang``: kk/ru/other; one annotation per word, in word order). The
recording is the linked media. Participant metadata of the speakers (gender,
age band, birth year, dialect, region, first languages, notes) goes into header
properties ``jazba:participant:NAME:FIELD``, as EAF has no field for it.

Child tiers keep their hierarchy (see :mod:`.hierarchy` for how they are laid
out): ``PARENT_REF`` to the parent's file tier, a linguistic type with the
ELAN constraint (``Symbolic_Association``, ``Symbolic_Subdivision``,
``Included_In``, ``Time_Subdivision``; ``TIME_ALIGNABLE`` false for the
symbolic ones), ``REF_ANNOTATION`` s with ``ANNOTATION_REF`` (and
``PREVIOUS_ANNOTATION`` along a subdivision), or ``ALIGNABLE_ANNOTATION`` s
with their own time slots (a time subdivision shares its parent's outer slots
and its inner ones between neighbours). A child track has a ``#status`` tier
only when some of its annotations are not ``edited``. A tier's controlled
vocabulary is written as ``CONTROLLED_VOCABULARY`` with ``CV_ENTRY_ML``
entries and named by its linguistic type.

Read by :mod:`desktop_app.core.interop.eaf_read`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pympi import Elan

from desktop_app.core.interop.hierarchy import Track, plan_tracks
from desktop_app.core.interop.model import (
    LANG_SUFFIX,
    STATUS_SUFFIX,
    TIER_KINDS,
    WORDLANG_SUFFIX,
    ExportRecording,
    Vocabulary,
)
from desktop_app.core.langtag import LANGS
from desktop_app.core.store.schema import SEGMENT_STATUSES

STATUS_TYPE = "jazba-status"
LANG_TYPE = "jazba-language"
WORDLANG_TYPE = "jazba-wordlang"
PARTICIPANT_PROPERTY = "jazba:participant:"
CV_LANG = "eng"  # the language the vocabulary descriptions are written in
ELAN_CONSTRAINTS = {
    "symbolic_association": "Symbolic_Association",
    "symbolic_subdivision": "Symbolic_Subdivision",
    "included_in": "Included_In",
    "time_subdivision": "Time_Subdivision",
}
"""Our constraint names (schema.TIER_CONSTRAINTS) and ELAN's stereotypes."""
FROM_ELAN = {v: k for k, v in ELAN_CONSTRAINTS.items()}
SYMBOLIC = ("symbolic_association", "symbolic_subdivision")
SCHEMA_URL = "http://www.mpi.nl/tools/elan/EAFv3.0.xsd"
MIME_TYPES = {
    ".wav": "audio/x-wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".webm": "video/webm",
}


# -- writing -------------------------------------------------------------------------
def write_eaf(rec: ExportRecording, path: Path, media: Path, relative_media: str | None) -> None:
    """Write ``rec``'s items as EAF 3.0 to ``path``, linking ``media``."""
    eaf = Elan.Eaf(author="Jazba")
    eaf.adocument.update(
        {"VERSION": "3.0", "FORMAT": "3.0", "xsi:noNamespaceSchemaLocation": SCHEMA_URL}
    )
    eaf.remove_tier("default")
    eaf.linguistic_types.clear()
    eaf.properties = [("lastUsedAnnotation", 0), ("jazba:recording", rec.title)]
    eaf.properties += participant_properties(rec)
    eaf.header.update({"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    eaf.add_linked_file(
        media.resolve().as_uri(),
        relpath=relative_media,
        mimetype=MIME_TYPES.get(media.suffix.lower(), "audio/x-wav"),
    )
    eaf.add_language(CV_LANG, "http://cdb.iso.org/lg/CDB-00130975-001", "English (eng)")
    languages = sorted({i.language for i in rec.items if i.language})
    for code in languages:
        if code != CV_LANG:
            eaf.add_language(code, None, code)
    _add_vocabularies(eaf, languages)
    tracks = plan_tracks(rec)
    own_cvs = {v.name: v for v in rec.vocabularies}
    for track in tracks:
        ltype = _linguistic_type(eaf, track, own_cvs)
        langs = Counter(i.language for i in track.items if i.language)
        main_lang = langs.most_common(1)[0][0] if langs else None
        eaf.add_tier(track.name, ltype, parent=track.parent, part=track.speaker, language=main_lang)
    eaf.add_linguistic_type(STATUS_TYPE, "Symbolic_Association", timealignable=False)
    eaf.linguistic_types[STATUS_TYPE]["CONTROLLED_VOCABULARY_REF"] = STATUS_TYPE
    eaf.add_linguistic_type(LANG_TYPE, "Symbolic_Association", timealignable=False)
    eaf.linguistic_types[LANG_TYPE]["CONTROLLED_VOCABULARY_REF"] = LANG_TYPE
    if any(i.word_langs for i in rec.items):
        _add_word_lang_type(eaf)

    written: dict[int, tuple[str, str, str]] = {}  # segment id -> (aid, slot 1, slot 2)
    for track in tracks:
        aids = _write_track(eaf, track, written)
        status_tier, lang_tier = track.name + STATUS_SUFFIX, track.name + LANG_SUFFIX
        with_status = track.parent is None or any(i.status != "edited" for i in track.items)
        if with_status:
            eaf.add_tier(status_tier, STATUS_TYPE, parent=track.name, part=track.speaker)
        if any(i.language for i in track.items):
            eaf.add_tier(lang_tier, LANG_TYPE, parent=track.name, part=track.speaker)
        for item, aid in zip(track.items, aids, strict=True):
            if with_status:
                _add_ref(eaf, status_tier, aid, item.status)
            if item.language:
                _add_ref(eaf, lang_tier, aid, item.language)
        _write_word_langs(eaf, track, aids)
    data = Elan.to_string(eaf, encoding="UTF-8")
    path.write_bytes(
        data if data.startswith(b"<?xml") else b'<?xml version="1.0" encoding="UTF-8"?>\n' + data
    )


def own_kind(ltype: str) -> str | None:
    """The tier kind of one of our linguistic types (``kind[-constraint][-vocabulary]``)."""
    if ltype in TIER_KINDS:
        return ltype
    for kind in TIER_KINDS:
        rest = ltype.removeprefix(f"{kind}-")
        if rest != ltype and any(rest.startswith(c.replace("_", "-")) for c in ELAN_CONSTRAINTS):
            return kind
    return None


def _linguistic_type(eaf: Elan.Eaf, track: Track, cvs: dict[str, Vocabulary]) -> str:
    """The linguistic type of a track (one per kind, constraint and vocabulary)."""
    kind, constraint = track.tier.kind, track.constraint
    cv = track.tier.vocabulary if track.tier.vocabulary in cvs else None
    name = kind
    if constraint is not None:
        name += f"-{constraint.replace('_', '-')}"
    if cv is not None:
        name += f"-{cv}"
    if name not in eaf.linguistic_types:
        elan = ELAN_CONSTRAINTS.get(constraint or "")
        eaf.add_linguistic_type(name, elan, timealignable=constraint not in SYMBOLIC)
        if cv is not None:
            if cv not in eaf.controlled_vocabularies:
                _add_vocabulary(eaf, cvs[cv])
            eaf.linguistic_types[name]["CONTROLLED_VOCABULARY_REF"] = cv
    return name


def _write_track(
    eaf: Elan.Eaf, track: Track, written: dict[int, tuple[str, str, str]]
) -> list[str]:
    """Write the annotations of ``track``; returns their ids (in ``track.items`` order).

    A symbolic child refers to its parent annotation (a subdivision also to the
    sibling before it); a time subdivision starts on its parent's first slot or
    its previous sibling's end slot and its last child ends on the parent's end slot.
    """
    constraint = track.constraint
    last_child: dict[int, int] = {}  # parent segment id -> index of its last child
    for k, item in enumerate(track.items):
        if item.parent_segment_id is not None:
            last_child[item.parent_segment_id] = k
    previous: dict[int, tuple[str, str]] = {}  # parent id -> (last child's aid, end slot)
    aids: list[str] = []
    for k, item in enumerate(track.items):
        key = item.parent_segment_id if item.parent_segment_id is not None else -1
        up = written.get(key) if constraint is not None else None
        aid = eaf.generate_annotation_id()
        eaf.annotations[aid] = track.name
        before = previous.get(key)
        if constraint in SYMBOLIC and up is not None:
            after = before[0] if before and constraint == "symbolic_subdivision" else None
            eaf.tiers[track.name][1][aid] = (up[0], item.text, after, None)
            slots = (up[1], up[2])
        else:
            if constraint == "time_subdivision" and up is not None:
                start = before[1] if before else up[1]
                end = up[2] if last_child[key] == k else eaf.generate_ts_id(item.end_ms)
                slots = (start, end)
            else:
                slots = (eaf.generate_ts_id(item.start_ms), eaf.generate_ts_id(item.end_ms))
            eaf.tiers[track.name][0][aid] = (slots[0], slots[1], item.text, None)
        previous[key] = (aid, slots[1])
        aids.append(aid)
        if item.segment_id is not None:
            written[item.segment_id] = (aid, slots[0], slots[1])
    return aids


def participant_properties(rec: ExportRecording) -> list[tuple[str, str]]:
    """``(jazba:participant:NAME:FIELD, value)`` for every set field of every speaker."""
    return [
        (f"{PARTICIPANT_PROPERTY}{name}:{key}", str(value))
        for name, fields in sorted(rec.participants.items())
        for key, value in fields.items()
        if value not in (None, "")
    ]


def _add_word_lang_type(eaf: Elan.Eaf) -> None:
    eaf.add_controlled_vocabulary(WORDLANG_TYPE)
    eaf.add_cv_description(WORDLANG_TYPE, CV_LANG, "Language of a word (code-switching)")
    for code in LANGS:
        eaf.add_cv_entry(WORDLANG_TYPE, f"wordlang-{code}", [(code, CV_LANG, None)])
    eaf.add_linguistic_type(WORDLANG_TYPE, "Symbolic_Subdivision", timealignable=False)
    eaf.linguistic_types[WORDLANG_TYPE]["CONTROLLED_VOCABULARY_REF"] = WORDLANG_TYPE


def _write_word_langs(eaf: Elan.Eaf, track: Track, aids: list[str]) -> None:
    """The ``#wordlang`` tier of a track: each word's language, in word order."""
    if not any(i.word_langs for i in track.items):
        return
    tier = track.name + WORDLANG_SUFFIX
    eaf.add_tier(tier, WORDLANG_TYPE, parent=track.name, part=track.speaker)
    for item, parent_aid in zip(track.items, aids, strict=True):
        previous = None
        for tag in item.word_langs or []:
            previous = _add_ref(eaf, tier, parent_aid, tag["l"], previous)


def _add_ref(
    eaf: Elan.Eaf, tier: str, parent_aid: str, value: str, previous: str | None = None
) -> str:
    """A reference annotation under ``parent_aid`` (after ``previous`` on a
    subdivision); pympi's own look-up is O(n) per call."""
    aid = eaf.generate_annotation_id()
    eaf.annotations[aid] = tier
    eaf.tiers[tier][1][aid] = (parent_aid, value, previous, None)
    return aid


def _add_vocabularies(eaf: Elan.Eaf, languages: list[str]) -> None:
    eaf.add_controlled_vocabulary(STATUS_TYPE)
    eaf.add_cv_description(STATUS_TYPE, CV_LANG, "Review status of a Jazba segment")
    for status in SEGMENT_STATUSES:
        eaf.add_cv_entry(STATUS_TYPE, f"status-{status}", [(status, CV_LANG, None)])
    eaf.add_controlled_vocabulary(LANG_TYPE)
    eaf.add_cv_description(LANG_TYPE, CV_LANG, "Language of a segment")
    for code in languages:
        eaf.add_cv_entry(LANG_TYPE, f"lang-{code}", [(code, CV_LANG, None)])


def _add_vocabulary(eaf: Elan.Eaf, cv: Vocabulary) -> None:
    eaf.add_controlled_vocabulary(cv.name)
    eaf.add_cv_description(cv.name, CV_LANG, cv.description or None)
    for n, (value, description) in enumerate(cv.entries, 1):
        eaf.add_cv_entry(cv.name, f"cve-{n}", [(value, CV_LANG, description or None)])
