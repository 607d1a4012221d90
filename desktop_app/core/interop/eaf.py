"""ELAN ``.eaf`` (EAF 3.0): written with pympi-ling, read from a defused XML tree.

Written: one time-aligned tier per tier and speaker (``tier@speaker``, ELAN
``PARTICIPANT`` = speaker, linguistic type = the tier's kind, ``LANG_REF`` =
its most common language), and under each a ``#status`` tier (controlled
vocabulary ``jazba-status``: auto/edited/approved) and, when any segment has
a language, a ``#lang`` tier (vocabulary ``jazba-language``), both symbolic
associations. The recording is the linked media.

Read by :mod:`desktop_app.core.interop.eaf_read`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pympi import Elan

from desktop_app.core.interop.model import (
    LANG_SUFFIX,
    STATUS_SUFFIX,
    ExportRecording,
    lay_out_tracks,
)
from desktop_app.core.store.schema import SEGMENT_STATUSES

STATUS_TYPE = "jazba-status"
LANG_TYPE = "jazba-language"
CV_LANG = "eng"  # the language the vocabulary descriptions are written in
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
    for kind in sorted({i.tier_kind for i in rec.items}):
        eaf.add_linguistic_type(kind)
    eaf.add_linguistic_type(STATUS_TYPE, "Symbolic_Association", timealignable=False)
    eaf.linguistic_types[STATUS_TYPE]["CONTROLLED_VOCABULARY_REF"] = STATUS_TYPE
    eaf.add_linguistic_type(LANG_TYPE, "Symbolic_Association", timealignable=False)
    eaf.linguistic_types[LANG_TYPE]["CONTROLLED_VOCABULARY_REF"] = LANG_TYPE

    for name, items in lay_out_tracks(rec.items).items():
        first = items[0]
        langs = Counter(i.language for i in items if i.language)
        main_lang = langs.most_common(1)[0][0] if langs else None
        eaf.add_tier(name, first.tier_kind, part=first.speaker, language=main_lang)
        status_tier, lang_tier = name + STATUS_SUFFIX, name + LANG_SUFFIX
        eaf.add_tier(status_tier, STATUS_TYPE, parent=name, part=first.speaker)
        if langs:
            eaf.add_tier(lang_tier, LANG_TYPE, parent=name, part=first.speaker)
        for item in items:
            eaf.add_annotation(name, item.start_ms, item.end_ms, item.text)
            parent = f"a{eaf.maxaid}"
            _add_ref(eaf, status_tier, parent, item.status)
            if item.language:
                _add_ref(eaf, lang_tier, parent, item.language)
    data = Elan.to_string(eaf, encoding="UTF-8")
    path.write_bytes(
        data if data.startswith(b"<?xml") else b'<?xml version="1.0" encoding="UTF-8"?>\n' + data
    )


def _add_ref(eaf: Elan.Eaf, tier: str, parent_aid: str, value: str) -> None:
    """A symbolic association under ``parent_aid`` (pympi's own look-up is O(n) per call)."""
    aid = eaf.generate_annotation_id()
    eaf.annotations[aid] = tier
    eaf.tiers[tier][1][aid] = (parent_aid, value, None, None)


def _add_vocabularies(eaf: Elan.Eaf, languages: list[str]) -> None:
    eaf.add_controlled_vocabulary(STATUS_TYPE)
    eaf.add_cv_description(STATUS_TYPE, CV_LANG, "Review status of a Jazba segment")
    for status in SEGMENT_STATUSES:
        eaf.add_cv_entry(STATUS_TYPE, f"status-{status}", [(status, CV_LANG, None)])
    eaf.add_controlled_vocabulary(LANG_TYPE)
    eaf.add_cv_description(LANG_TYPE, CV_LANG, "Language of a segment")
    for code in languages:
        eaf.add_cv_entry(LANG_TYPE, f"lang-{code}", [(code, CV_LANG, None)])
