"""Reading ELAN ``.eaf`` files (2.x and 3.0) from a defused XML tree.

Time-aligned tiers become source tiers; symbolic associations and
subdivisions (translations, glosses) become tiers timed by their parent
annotation; Jazba's own ``#status``/``#lang`` tiers are folded back into their
parent's items. Each tier's kind comes from its linguistic type, name and
place in the hierarchy (:func:`desktop_app.core.interop.kinds.guess_kind`).

Time slots without a time (the inner boundaries of a *Time_Subdivision*, or
of an *Included_In* tier) get the time ELAN shows for them: per parent
annotation and child tier, each run of unaligned slots is spaced evenly
between the aligned (or already placed) slots around it, parents before
children, as ELAN's ``TimeProposer`` does. Slots that belong to no parent
annotation are spaced evenly between their neighbours in the file's time
order, with a warning. Every step is linear in the size of the file.

The hierarchy is kept: a dependent tier names its parent tier and constraint
(from its linguistic type's stereotype), each annotation its id (``ref``) and
its parent annotation (``parent_ref``: the ``ANNOTATION_REF`` of a reference
annotation, or the parent annotation holding the middle of a time-aligned
child), and a symbolic subdivision's annotations their order. Controlled
vocabularies are read by :mod:`.eaf_cv`. A dependent tier that cannot keep
its parent (no stereotype, a missing parent) is read as an independent tier,
with a warning.
"""

from __future__ import annotations

import bisect
import os
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import unquote, urlparse
from xml.etree.ElementTree import Element

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.eaf import (
    FROM_ELAN,
    LANG_TYPE,
    PARTICIPANT_PROPERTY,
    STATUS_TYPE,
    WORDLANG_TYPE,
    own_kind,
)
from desktop_app.core.interop.eaf_cv import VocabularyReader
from desktop_app.core.interop.kinds import guess_kind
from desktop_app.core.interop.model import (
    LANG_SUFFIX,
    MAX_ITEMS,
    STATUS_SUFFIX,
    WORDLANG_SUFFIX,
    SourceDocument,
    SourceItem,
    SourceTier,
    meta_parent,
    split_track_name,
)
from desktop_app.core.interop.xmlsafe import iter_xml
from desktop_app.core.langtag import LANGS, tokenize


class _Ann:
    __slots__ = ("aid", "b", "e", "end", "ordinal", "parent", "prev", "start", "tier", "value")

    def __init__(self, aid: str, tier: str, value: str) -> None:
        self.aid, self.tier, self.value = aid, tier, value
        self.b = self.e = -1  # time slot indices (alignable annotations)
        self.start: int | None = None
        self.end: int | None = None
        self.parent: str | None = None  # ANNOTATION_REF (reference annotations)
        self.prev: str | None = None  # PREVIOUS_ANNOTATION (symbolic subdivisions)
        self.ordinal: int | None = None  # place among its siblings (reference annotations)


class _Tier:
    __slots__ = ("anns", "attrib", "parent")

    def __init__(self, attrib: dict[str, str]) -> None:
        self.attrib = attrib
        self.parent = attrib.get("PARENT_REF")
        self.anns: list[_Ann] = []


class _Parsed:
    """What the reader keeps of the file (the XML tree itself is dropped as it is read)."""

    def __init__(self) -> None:
        self.media: list[str] = []
        self.index: dict[str, int] = {}  # time slot id -> position in the time order
        self.values: list[int | None] = []  # the time at each position (None: unaligned)
        self.anns: dict[str, _Ann] = {}
        self.slot_refs: list[tuple[_Ann, str, str]] = []  # resolved once all slots are known
        self.tiers: dict[str, _Tier] = {}
        self.ltypes: dict[str, dict[str, str]] = {}
        self.cvs = VocabularyReader(skip=(STATUS_TYPE, LANG_TYPE, WORDLANG_TYPE))
        self.participants: dict[str, dict[str, str]] = {}  # our header properties


def read_eaf(path: Path) -> SourceDocument:
    try:
        parsed = _parse(path)
    except KeyError as exc:
        raise InteropError(
            f"'{path.name}' is a damaged ELAN file (an element lacks the attribute {exc}); "
            "open it in ELAN and save it again."
        ) from exc
    doc = SourceDocument(path=path, format="eaf", tiers=[], media=parsed.media)
    doc.participants = parsed.participants
    doc.vocabularies, doc.warnings = parsed.cvs.found, list(parsed.cvs.warnings)
    for ann, ref1, ref2 in parsed.slot_refs:
        ann.b, ann.e = _slot(path, parsed.index, ann, ref1), _slot(path, parsed.index, ann, ref2)
    times = _place_slots(parsed.values, parsed.tiers)
    unplaced = _fill_by_order(times)
    if unplaced:
        doc.warnings.append(
            f"{unplaced} time slot(s) without a time belong to no parent annotation; they "
            "were spaced evenly between their neighbours in the file's time order."
        )
    for ann in parsed.anns.values():
        if ann.b >= 0:
            ann.start, ann.end = times[ann.b], times[ann.e]
    _time_refs(parsed.anns, doc)
    _build(doc, parsed)
    return doc


def _parse(path: Path) -> _Parsed:
    """One streaming pass: each element is read at its end and then removed from its
    parent, so memory holds what is kept, never the whole tree."""
    out = _Parsed()
    stack: list[Element] = []
    tier: _Tier | None = None
    ann: _Ann | None = None
    for event, elem in iter_xml(path):
        if event == "start":
            if not stack and elem.tag != "ANNOTATION_DOCUMENT":
                raise InteropError(f"'{path.name}' is XML but not an ELAN file (<{elem.tag}>).")
            stack.append(elem)
            depth, tag = len(stack), elem.tag
            if depth == 2 and tag == "TIER":
                name = elem.attrib["TIER_ID"]
                tier = out.tiers.setdefault(name, _Tier(dict(elem.attrib)))
            elif depth == 4 and tier is not None and tag in _ANNOTATIONS:
                ann = _annotation(path, out, tier, elem)
            else:
                out.cvs.start(elem, depth)
            continue
        stack.pop()
        depth, tag = len(stack) + 1, elem.tag
        if stack:
            out.cvs.end(elem, depth, stack[-1].tag)
        if depth == 3 and tag == "TIME_SLOT" and stack[-1].tag == "TIME_ORDER":
            _time_slot(path, out, elem)
        elif depth == 5 and tag == "ANNOTATION_VALUE" and ann is not None:
            ann.value = elem.text or ""
        elif depth == 4 and tag in _ANNOTATIONS:
            ann = None
        elif depth == 2 and tag == "TIER":
            tier = None
        elif depth == 2 and tag == "LINGUISTIC_TYPE":
            out.ltypes[elem.get("LINGUISTIC_TYPE_ID", "")] = dict(elem.attrib)
        elif depth == 3 and tag == "PROPERTY" and stack[-1].tag == "HEADER":
            key = elem.get("NAME", "")
            if key.startswith(PARTICIPANT_PROPERTY) and ":" in key[len(PARTICIPANT_PROPERTY) :]:
                name, _, what = key[len(PARTICIPANT_PROPERTY) :].rpartition(":")
                out.participants.setdefault(name, {})[what] = (elem.text or "").strip()
        elif depth == 3 and tag == "MEDIA_DESCRIPTOR" and stack[-1].tag == "HEADER":
            for key in ("RELATIVE_MEDIA_URL", "MEDIA_URL"):
                if elem.get(key):
                    out.media.append(_url_name(elem.get(key, "")))
        if stack and len(stack[-1]) and stack[-1][0] is elem:
            # Read: let it go. Its earlier siblings went the same way, so it is the first
            # child (later ones may already be there: events come a block at a time).
            del stack[-1][0]
    return out


_ANNOTATIONS = ("ALIGNABLE_ANNOTATION", "REF_ANNOTATION")


def _annotation(path: Path, out: _Parsed, tier: _Tier, elem: Element) -> _Ann:
    ann = _Ann(elem.attrib["ANNOTATION_ID"], tier.attrib["TIER_ID"], "")
    if elem.tag == "ALIGNABLE_ANNOTATION":
        out.slot_refs.append((ann, elem.attrib["TIME_SLOT_REF1"], elem.attrib["TIME_SLOT_REF2"]))
    else:
        ann.parent = elem.attrib["ANNOTATION_REF"]
        ann.prev = elem.get("PREVIOUS_ANNOTATION")
    if len(out.anns) >= MAX_ITEMS:
        raise InteropError(
            f"'{path.name}' has more than {MAX_ITEMS:,} annotations; split it in ELAN."
        )
    out.anns[ann.aid] = ann
    tier.anns.append(ann)
    return ann


def _time_slot(path: Path, out: _Parsed, elem: Element) -> None:
    sid = elem.attrib["TIME_SLOT_ID"]
    raw = elem.get("TIME_VALUE")
    value = None
    if raw is not None:
        text = raw.strip()
        if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 12):
            raise InteropError(
                f"'{path.name}': time slot '{sid[:40]}' has the time value '{text[:20]}', "
                "which is not a whole number of milliseconds; open it in ELAN and save "
                "it again."
            )
        value = int(text)
    out.index[sid] = len(out.values)
    out.values.append(value)


def _slot(path: Path, index: dict[str, int], ann: _Ann, sid: str) -> int:
    if sid not in index:
        raise InteropError(
            f"'{path.name}' is a damaged ELAN file: annotation '{ann.aid[:40]}' refers to "
            f"time slot '{sid[:40]}', which does not exist; open it in ELAN and save it again."
        )
    return index[sid]


# -- times of unaligned slots ------------------------------------------------------------
def _place_slots(values: list[int | None], tiers: dict[str, _Tier]) -> list[int | None]:
    """Times for unaligned slots, as ELAN proposes them (parents before children)."""
    times = list(values)
    if all(v is not None for v in values):
        return times
    children: dict[str, list[str]] = defaultdict(list)
    roots = []
    for name, tier in tiers.items():
        if tier.parent in tiers and tier.parent != name:
            children[tier.parent].append(name)
        else:
            roots.append(name)
    queue, seen = deque(roots), set(roots)
    while queue:
        parent = queue.popleft()
        for child in children[parent]:
            if child in seen:
                continue
            seen.add(child)
            queue.append(child)
            _place_children(times, tiers[parent].anns, tiers[child].anns)
    return times


def _place_children(times: list[int | None], parents: list[_Ann], kids: list[_Ann]) -> None:
    """Space the unaligned slots of ``kids`` (one tier) within each parent annotation."""
    parents = sorted((p for p in parents if p.b >= 0), key=lambda a: (a.b, a.e))
    kids = sorted((k for k in kids if k.b >= 0), key=lambda a: (a.b, a.e))
    i, group = 0, []
    for kid in kids:
        while i < len(parents) and parents[i].e < kid.e:
            _space(times, parents[i], group)
            group = []
            i += 1
        if i == len(parents):
            break
        if parents[i].b <= kid.b:
            group.append(kid)
    if i < len(parents):
        _space(times, parents[i], group)


def _space(times: list[int | None], parent: _Ann, kids: list[_Ann]) -> None:
    """ELAN's rule: a run of unaligned slots gets even steps between its two anchors
    (aligned or already placed slots; the parent's own ends at the edges)."""
    if not kids:
        return
    run: list[int] = []
    left = times[parent.b]
    for s in sorted({s for k in kids for s in (k.b, k.e)}):
        if times[s] is None:
            run.append(s)
            continue
        _fill(times, run, left, times[s])
        run, left = [], times[s]
    _fill(times, run, left, times[parent.e])


def _fill(times: list[int | None], run: list[int], lo: int | None, hi: int | None) -> None:
    if not run or lo is None or hi is None:
        return
    count = len(run) + 1
    step = abs(hi - lo) // count * (1 if hi >= lo else -1)  # Java's long division
    for k, s in enumerate(run, 1):
        times[s] = lo + k * step


def _fill_by_order(times: list[int | None]) -> int:
    """Slots still without a time: evenly between their neighbours in the time order."""
    missing = [i for i, t in enumerate(times) if t is None]
    if not missing:
        return 0
    run: list[int] = []
    left: int | None = None
    for i, t in enumerate(times):
        if t is None:
            run.append(i)
            continue
        _fill(times, run, left if left is not None else t, t)
        run, left = [], t
    _fill(times, run, left, left)
    return sum(1 for i in missing if times[i] is not None)


# -- reference annotations -----------------------------------------------------------------
def _time_refs(anns: dict[str, _Ann], doc: SourceDocument) -> None:
    """Give reference annotations their parent's span, split evenly among the
    siblings of one tier (in ``PREVIOUS_ANNOTATION`` order, else file order)."""
    groups: dict[tuple[str, str], list[_Ann]] = defaultdict(list)
    for ann in anns.values():
        if ann.parent is not None:
            groups[(ann.tier, ann.parent)].append(ann)
    place: dict[str, tuple[int, int]] = {}
    for sibs in groups.values():
        ordered = _chain(sibs)
        for k, ann in enumerate(ordered):
            place[ann.aid] = (k, len(ordered))
            ann.ordinal = k
    lost = 0
    for ann in anns.values():
        if ann.start is not None or ann.parent is None:
            continue
        stack, seen = [ann], {ann.aid}  # up to the first annotation with a span
        up = anns.get(ann.parent)
        while up is not None and up.start is None and up.parent is not None and up.aid not in seen:
            stack.append(up)
            seen.add(up.aid)
            up = anns.get(up.parent)
        if up is None or up.start is None or up.end is None:
            lost += len(stack)
            for a in stack:
                a.parent = None  # resolved: without a span
            continue
        lo, hi = up.start, up.end
        for a in reversed(stack):
            k, n = place[a.aid]
            a.start, a.end = lo + (hi - lo) * k // n, lo + (hi - lo) * (k + 1) // n
            lo, hi = a.start, a.end
    if lost:
        doc.warnings.append(f"{lost} annotation(s) refer to missing annotations and were skipped.")


def _chain(sibs: list[_Ann]) -> list[_Ann]:
    """Siblings in ``PREVIOUS_ANNOTATION`` order when that links them all, else as given."""
    if len(sibs) < 2 or not any(a.prev for a in sibs):
        return sibs
    by_prev = {a.prev: a for a in sibs if a.prev}
    first = [a for a in sibs if not a.prev or a.prev not in {b.aid for b in sibs}]
    if len(first) != 1:
        return sibs
    out = [first[0]]
    while (nxt := by_prev.get(out[-1].aid)) is not None and len(out) < len(sibs):
        out.append(nxt)
    return out if len(out) == len(sibs) else sibs


# -- source tiers ---------------------------------------------------------------------------
def _build(doc: SourceDocument, parsed: _Parsed) -> None:
    anns, tiers, ltypes = parsed.anns, parsed.tiers, parsed.ltypes
    by_name: dict[str, SourceTier] = {}
    items_by_aid: dict[str, SourceItem] = {}
    meta: list[tuple[str, list[_Ann]]] = []
    word_langs: list[list[_Ann]] = []
    untimed = 0
    for name, tier in tiers.items():
        node = tier.attrib
        ltype = node.get("LINGUISTIC_TYPE_REF", "")
        mp = meta_parent(name)
        if tier.parent and (ltype == WORDLANG_TYPE or name == tier.parent + WORDLANG_SUFFIX):
            word_langs.append(tier.anns)
            continue
        if tier.parent and (ltype in (STATUS_TYPE, LANG_TYPE) or (mp and mp[0] == tier.parent)):
            is_status = ltype == STATUS_TYPE or (mp is not None and mp[1] == STATUS_SUFFIX)
            meta.append((STATUS_SUFFIX if is_status else LANG_SUFFIX, tier.anns))
            continue
        participant = (node.get("PARTICIPANT") or "").strip() or None
        tier_name, speaker = split_track_name(name, participant)
        lt = ltypes.get(ltype)
        kind = guess_kind(
            name,
            linguistic_type=own_kind(ltype) or ltype or None,
            constraint=lt.get("CONSTRAINTS") if lt is not None else None,
            vocabulary=lt is not None and bool(lt.get("CONTROLLED_VOCABULARY_REF")),
            dependent=bool(tier.parent),
        )
        src = SourceTier(
            name=name, speaker=speaker, tier=tier_name, kind=kind, language=node.get("LANG_REF")
        )
        if tier.parent:
            src.parent = tier.parent
            src.constraint = FROM_ELAN.get((lt or {}).get("CONSTRAINTS") or "")
        if lt is not None and lt.get("CONTROLLED_VOCABULARY_REF") not in (None, STATUS_TYPE):
            src.vocabulary = lt.get("CONTROLLED_VOCABULARY_REF")
        for ann in tier.anns:
            if ann.start is None or ann.end is None:
                untimed += ann.parent is None
                continue
            item = SourceItem(ann.start, ann.end, ann.value, ref=ann.aid, parent_ref=ann.parent)
            if src.constraint == "symbolic_subdivision":
                item.ordinal = ann.ordinal
            src.items.append(item)
            items_by_aid[ann.aid] = item
        by_name[name] = src
        doc.tiers.append(src)
    if untimed:
        doc.warnings.append(f"{untimed} annotation(s) without any time were skipped.")
    _link(doc, by_name, tiers)
    for suffix, own in meta:
        parents = set()
        for ann in own:
            item = items_by_aid.get(ann.parent or "")
            if item is None:
                continue
            parent = anns.get(ann.parent or "")
            if parent is not None:
                parents.add(parent.tier)
            value = ann.value.strip()
            if suffix == STATUS_SUFFIX:
                item.status = value or None
            else:
                item.language = value or None
        if suffix == LANG_SUFFIX:  # it says exactly which items have a language
            for name in parents:
                if name in by_name:
                    by_name[name].language = None
    for own in word_langs:
        _fold_word_langs(own, items_by_aid)


def _fold_word_langs(own: list[_Ann], items: dict[str, SourceItem]) -> None:
    """Give each annotation the languages of its words from a ``#wordlang`` tier
    (in word order; kept as a person's tags, when they match its words in number)."""
    by_parent: dict[str, list[_Ann]] = defaultdict(list)
    for ann in own:
        if ann.parent in items:
            by_parent[ann.parent].append(ann)
    for aid, anns in by_parent.items():
        item = items[aid]
        langs = [a.value.strip() for a in sorted(anns, key=lambda a: a.ordinal or 0)]
        words = tokenize(item.text)
        if len(words) == len(langs) and all(lang in LANGS for lang in langs):
            item.word_langs = [
                {"w": w, "l": lang, "by": "user"} for w, lang in zip(words, langs, strict=True)
            ]


def _link(doc: SourceDocument, by_name: dict[str, SourceTier], tiers: dict[str, _Tier]) -> None:
    """Check each dependent tier's parent; give time-aligned children their parent annotation."""
    known = {cv.name for cv in doc.vocabularies}
    for src in doc.tiers:
        if src.vocabulary is not None and src.vocabulary not in known:
            doc.warnings.append(
                f"Tier '{src.name}' names the controlled vocabulary '{src.vocabulary}', which "
                "the file does not hold; the tier was imported without it."
            )
            src.vocabulary = None
        if src.parent is None:
            continue
        if src.parent not in by_name or src.constraint is None:
            why = "is not in the file" if src.parent not in by_name else "has no ELAN stereotype"
            doc.warnings.append(
                f"Tier '{src.name}' depends on '{src.parent}', but "
                f"{'that tier' if src.parent not in by_name else 'its linguistic type'} {why}; "
                "it was imported as an independent tier."
            )
            src.parent = src.constraint = None
            for item in src.items:
                item.parent_ref = None
            continue
        if src.constraint in ("included_in", "time_subdivision"):
            outside = _by_time(src, [a for a in tiers[src.parent].anns if a.start is not None])
            if outside:
                doc.warnings.append(
                    f"{outside} annotation(s) of tier '{src.name}' lie outside every annotation "
                    f"of its parent tier '{src.parent}'; they were imported without a parent."
                )


def _by_time(src: SourceTier, parents: list[_Ann]) -> int:
    """Set ``parent_ref`` to the parent annotation holding each item's middle; count misses."""
    parents = sorted(parents, key=lambda a: (a.start or 0, a.end or 0))
    starts = [p.start or 0 for p in parents]
    missed = 0
    for item in src.items:
        mid = (item.start_ms + item.end_ms) // 2
        k = bisect.bisect_right(starts, mid) - 1  # a tier's annotations do not overlap
        if k >= 0 and (parents[k].start or 0) <= mid < (parents[k].end or 0):
            item.parent_ref = parents[k].aid
        else:
            item.parent_ref = None
            missed += 1
    return missed


def _url_name(url: str) -> str:
    parsed = urlparse(url)
    return os.path.basename(unquote(parsed.path if parsed.scheme else url).replace("\\", "/"))
