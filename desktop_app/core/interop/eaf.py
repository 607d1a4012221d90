"""ELAN ``.eaf`` (EAF 3.0): written with pympi-ling, read from a defused XML tree.

Written: one time-aligned tier per tier and speaker (``tier@speaker``, ELAN
``PARTICIPANT`` = speaker, linguistic type = the tier's kind, ``LANG_REF`` =
its most common language), and under each a ``#status`` tier (controlled
vocabulary ``jazba-status``: auto/edited/approved) and, when any segment has
a language, a ``#lang`` tier (vocabulary ``jazba-language``), both symbolic
associations. The recording is the linked media.

Read: any EAF 2.x/3.0. Time-aligned tiers become source tiers; symbolic
associations and subdivisions (translations, glosses) become tiers timed by
their parent annotation; our ``#status``/``#lang`` tiers are folded back into
their parent's items. Time slots without a time get one interpolated from
their neighbours, as ELAN shows them.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse
from xml.etree.ElementTree import Element

from pympi import Elan

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.model import (
    LANG_SUFFIX,
    STATUS_SUFFIX,
    TIER_KINDS,
    ExportRecording,
    SourceDocument,
    SourceItem,
    SourceTier,
    lay_out_tracks,
    meta_parent,
    split_track_name,
)
from desktop_app.core.interop.xmlsafe import parse_xml
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


# -- reading -------------------------------------------------------------------------
class _Ann:
    __slots__ = ("aid", "end", "parent", "start", "tier", "value")

    def __init__(self, aid: str, tier: str, value: str) -> None:
        self.aid, self.tier, self.value = aid, tier, value
        self.start: int | None = None
        self.end: int | None = None
        self.parent: str | None = None


def read_eaf(path: Path) -> SourceDocument:
    root = parse_xml(path)
    if root.tag != "ANNOTATION_DOCUMENT":
        raise InteropError(f"'{path.name}' is XML but not an ELAN file (<{root.tag}>).")
    try:
        return _read(path, root)
    except (KeyError, ValueError) as exc:
        raise InteropError(
            f"'{path.name}' is a damaged ELAN file ({type(exc).__name__}: {exc}); "
            "open it in ELAN and save it again."
        ) from exc


def _read(path: Path, root: Element) -> SourceDocument:
    doc = SourceDocument(path=path, format="eaf", tiers=[])
    for md in root.iterfind("HEADER/MEDIA_DESCRIPTOR"):
        for key in ("RELATIVE_MEDIA_URL", "MEDIA_URL"):
            if md.get(key):
                doc.media.append(_url_name(md.get(key, "")))
    slots = _time_slots(root)
    anns: dict[str, _Ann] = {}
    tiers: list[tuple[Element, list[_Ann]]] = []
    for tier in root.iterfind("TIER"):
        name = tier.attrib["TIER_ID"]
        own: list[_Ann] = []
        for node in tier.iterfind("ANNOTATION/*"):
            value = node.findtext("ANNOTATION_VALUE") or ""
            ann = _Ann(node.attrib["ANNOTATION_ID"], name, value)
            if node.tag == "ALIGNABLE_ANNOTATION":
                ann.start = slots[node.attrib["TIME_SLOT_REF1"]]
                ann.end = slots[node.attrib["TIME_SLOT_REF2"]]
            elif node.tag == "REF_ANNOTATION":
                ann.parent = node.attrib["ANNOTATION_REF"]
            else:
                continue
            anns[ann.aid] = ann
            own.append(ann)
        tiers.append((tier, own))
    _time_refs(anns, doc)

    by_name: dict[str, SourceTier] = {}
    items_by_aid: dict[str, SourceItem] = {}
    meta: list[tuple[str, list[_Ann]]] = []
    for tier, own in tiers:
        name = tier.attrib["TIER_ID"]
        ltype = tier.get("LINGUISTIC_TYPE_REF", "")
        parent_name = tier.get("PARENT_REF")
        mp = meta_parent(name)
        if parent_name and (ltype in (STATUS_TYPE, LANG_TYPE) or (mp and mp[0] == parent_name)):
            suffix = (
                STATUS_SUFFIX
                if ltype == STATUS_TYPE or (mp and mp[1] == STATUS_SUFFIX)
                else LANG_SUFFIX
            )
            meta.append((suffix, own))
            continue
        participant = (tier.get("PARTICIPANT") or "").strip() or None
        tier_name, speaker = split_track_name(name, participant)
        kind = ltype if ltype in TIER_KINDS else None
        src = SourceTier(
            name=name, speaker=speaker, tier=tier_name, kind=kind, language=tier.get("LANG_REF")
        )
        for ann in own:
            if ann.start is None or ann.end is None:
                continue
            item = SourceItem(ann.start, ann.end, ann.value)
            src.items.append(item)
            items_by_aid[ann.aid] = item
        by_name[name] = src
        doc.tiers.append(src)
    for suffix, own in meta:
        for ann in own:
            item = items_by_aid.get(ann.parent or "")
            if item is None:
                continue
            value = ann.value.strip()
            if suffix == STATUS_SUFFIX:
                item.status = value or None
            else:
                item.language = value or None
        if suffix == LANG_SUFFIX:  # it says exactly which items have a language
            for parent in {anns[a.parent].tier for a in own if a.parent in anns}:
                if parent in by_name:
                    by_name[parent].language = None
    return doc


def _time_slots(root: Element) -> dict[str, int]:
    """Slot id → ms; slots without a time are interpolated between their neighbours."""
    order = [
        (ts.attrib["TIME_SLOT_ID"], ts.get("TIME_VALUE"))
        for ts in root.iterfind("TIME_ORDER/TIME_SLOT")
    ]
    out: dict[str, int] = {}
    known = [(i, int(v)) for i, (_, v) in enumerate(order) if v is not None]
    for i, (sid, value) in enumerate(order):
        if value is not None:
            out[sid] = int(value)
            continue
        before = [t for j, t in known if j < i]
        after = [t for j, t in known if j > i]
        lo = before[-1] if before else 0
        hi = after[0] if after else lo
        out[sid] = (lo + hi) // 2
    return out


def _time_refs(anns: dict[str, _Ann], doc: SourceDocument) -> None:
    """Give reference annotations their parent's span (split evenly among siblings)."""
    children: dict[tuple[str, str], list[_Ann]] = {}
    for ann in anns.values():
        if ann.parent is not None:
            children.setdefault((ann.tier, ann.parent), []).append(ann)

    def span(ann: _Ann, depth: int = 0) -> tuple[int, int] | None:
        if ann.start is not None and ann.end is not None:
            return ann.start, ann.end
        parent = anns.get(ann.parent or "")
        if parent is None or depth > 50:
            return None
        got = span(parent, depth + 1)
        if got is None:
            return None
        sibs = children[(ann.tier, parent.aid)]
        n, k = len(sibs), sibs.index(ann)
        lo, hi = got
        ann.start, ann.end = lo + (hi - lo) * k // n, lo + (hi - lo) * (k + 1) // n
        return ann.start, ann.end

    lost = sum(1 for ann in anns.values() if span(ann) is None)
    if lost:
        doc.warnings.append(f"{lost} annotation(s) refer to missing annotations and were skipped.")


def _url_name(url: str) -> str:
    parsed = urlparse(url)
    return os.path.basename(unquote(parsed.path if parsed.scheme else url).replace("\\", "/"))
