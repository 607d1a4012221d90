"""Mutants of the seed files, for fuzzing the importers (see :mod:`tests.fuzz.harness`).

A mutant is a seed (:mod:`tests.fuzz.seeds`) changed by one or two
mutations, chosen by a ``random.Random`` seeded with the run's seed, the
format and the mutant's index, so any mutant can be rebuilt from those
three: byte flips, truncation, hostile numbers (huge, negative, nan, inf,
thousands of digits), duplicated, shuffled and deleted lines, deep nesting,
and changes to the format's header fields (for audio: sample rates, channel
counts, sizes and frame counts in WAV, FLAC, Ogg Vorbis and MP3 headers).
"""

from __future__ import annotations

import random
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from tests.fuzz.seeds import SUFFIX, Seed

MAX_MUTANT = 72 << 20  # a little over the importers' 64 MB limit, to reach it
HOSTILE_NUMBERS = (
    "-1", "-0.5", "-1e999", "1e999", "inf", "-inf", "nan", "NaN", "1e308", "1e15",
    "9" * 25, "9" * 5000, "-" + "9" * 400, "0", "4294967296", "18446744073709551616",
    "1.5e-320", "0x10", "1_000", "", "abc", "\u0663", "\uff11", "1.2.3", "+", "-",
)  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    format: str
    index: int
    seed: str
    mutation: str
    data: bytes

    @property
    def suffix(self) -> str:
        return SUFFIX[self.format]


# -- mutations ------------------------------------------------------------------------------
Mutation = Callable[[random.Random, bytes, Seed, str], tuple[str, bytes]]


def _flip(rng: random.Random, data: bytes, _seed: Seed, _fmt: str) -> tuple[str, bytes]:
    out = bytearray(data)
    head = rng.random() < 0.5 and len(out) > 64
    spots = [rng.randrange(64 if head else len(out)) for _ in range(rng.choice((1, 2, 4, 16)))]
    for i in spots:
        out[i] ^= 1 << rng.randrange(8)
    return f"flip({len(spots)} bits at {sorted(spots)[:6]})", bytes(out)


def _truncate(rng: random.Random, data: bytes, _seed: Seed, _fmt: str) -> tuple[str, bytes]:
    cut = rng.randrange(len(data))
    return f"truncate(at {cut}/{len(data)})", data[:cut]


def _insert_bytes(rng: random.Random, data: bytes, _seed: Seed, _fmt: str) -> tuple[str, bytes]:
    at = rng.randrange(len(data) + 1)
    kind = rng.choice(("nul", "random", "invalid-utf8", "bom"))
    blob = {
        "nul": b"\0" * rng.choice((1, 64)),
        "random": rng.randbytes(rng.choice((1, 16, 512))),
        "invalid-utf8": b"\xff\xfe\xc3\x28\xa0\xa1",
        "bom": b"\xef\xbb\xbf",
    }[kind]
    return f"insert({kind}, {len(blob)} bytes at {at})", data[:at] + blob + data[at:]


def _block(rng: random.Random, data: bytes, _seed: Seed, _fmt: str) -> tuple[str, bytes]:
    """Binary: a block zeroed, duplicated or dropped."""
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.choice((4, 64, 1024, 8192)))
    how = rng.choice(("zero", "repeat", "drop"))
    if how == "zero":
        out = data[:a] + bytes(b - a) + data[b:]
    elif how == "repeat":
        out = data[:b] + data[a:b] * rng.choice((2, 20, 500)) + data[b:]
    else:
        out = data[:a] + data[b:]
    return f"block({how} {a}..{b})", out


def _encode(text: str, seed: Seed) -> bytes:
    return text.encode(seed.encoding or "utf-8")


def _text(data: bytes, seed: Seed) -> str | None:
    try:
        return data.decode(seed.encoding or "utf-8")
    except UnicodeDecodeError:
        return None


def _number(rng: random.Random, data: bytes, seed: Seed, _fmt: str) -> tuple[str, bytes]:
    text = _text(data, seed)
    if text is None:
        return _flip(rng, data, seed, _fmt)
    found = list(re.finditer(r"-?\d+(?:\.\d+)?", text))
    if not found:
        return _flip(rng, data, seed, _fmt)
    value = rng.choice(HOSTILE_NUMBERS)
    if rng.random() < 0.2:
        return f"numbers(all -> {value[:12]!r})", _encode(
            re.sub(r"-?\d+(?:\.\d+)?", value, text), seed
        )
    m = rng.choice(found)
    line = text.count("\n", 0, m.start()) + 1
    out = text[: m.start()] + value + text[m.end() :]
    return f"number(line {line}: {m.group()!r} -> {value[:12]!r})", _encode(out, seed)


def _lines(rng: random.Random, data: bytes, seed: Seed, _fmt: str) -> tuple[str, bytes]:
    text = _text(data, seed)
    if text is None:
        return _truncate(rng, data, seed, _fmt)
    lines = text.split("\n")
    how = rng.choice(("duplicate", "duplicate", "shuffle", "window", "delete", "swap"))
    i = rng.randrange(len(lines))
    if how == "duplicate":
        width = rng.choice((1, 1, 3))
        block = lines[i : i + width]
        size = sum(len(x) + 1 for x in block) or 1
        k = min(rng.choice((2, 50, 5000, 20_000)), max(2, MAX_MUTANT // size))
        lines[i:i] = block * (k - 1)
        desc = f"duplicate(lines {i + 1}..{i + len(block)} x{k})"
    elif how == "shuffle":
        rng.shuffle(lines)
        desc = "shuffle(all lines)"
    elif how == "window":
        window = lines[i : i + 10]
        rng.shuffle(window)
        lines[i : i + 10] = window
        desc = f"shuffle(lines {i + 1}..{i + 10})"
    elif how == "delete":
        n = rng.choice((1, 3))
        del lines[i : i + n]
        desc = f"delete(lines {i + 1}..{i + n})"
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        desc = f"swap(lines {i + 1}, {j + 1})"
    return desc, _encode("\n".join(lines), seed)


def _nest(rng: random.Random, data: bytes, seed: Seed, fmt: str) -> tuple[str, bytes]:
    text = _text(data, seed)
    if text is None:
        return _block(rng, data, seed, fmt)
    depth = rng.choice((100, 2_000, 50_000, 200_000))
    lines = text.split("\n")
    i = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
    if fmt == "jsonl":
        value = rng.choice(("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth))
        row = '{"start_ms": 0, "end_ms": 900, "text": ' + value + "}"
        lines.insert(i, row)
    elif fmt == "eaf":
        lines.insert(i, "<X>" * depth + "</X>" * depth)
    elif fmt in ("srt", "vtt"):
        lines.insert(i, rng.choice(("<v ", "<b>", "<", "<v a>", "&amp;")) * depth)
    elif fmt in ("csv", "tsv"):
        lines.insert(i, '1,2,"' + rng.choice(('""', "x", "\n", ",")) * depth + '"')
    else:
        lines.insert(i, rng.choice(('"', "item [", "! ", '""')) * depth)
    return f"nest(depth {depth} at line {i + 1})", _encode("\n".join(lines), seed)


_HEADERS: dict[str, tuple[tuple[str, str], ...]] = {
    "eaf": (
        ("<TIME_ORDER>", "<TIME_ORDERS>"),
        ('TIME_SLOT_ID="ts1"', 'TIME_SLOT_ID="ts9"'),
        ('TIME_VALUE="500"', 'TIME_VALUE="-500"'),
        ('TIME_VALUE="2500"', 'TIME_VALUE="1e999"'),
        ('TIME_VALUE="3000"', 'TIME_VALUE="' + "9" * 40 + '"'),
        ('ANNOTATION_ID="a1"', ""),
        ('ANNOTATION_REF="w1"', 'ANNOTATION_REF="p1"'),
        ('PARENT_REF="words"', 'PARENT_REF="pos"'),
        ('PARENT_REF="Айгерім"', 'PARENT_REF="words"'),
        ("Time_Subdivision", "Included_In"),
        ("Symbolic_Subdivision", "Time_Subdivision"),
        ('PREVIOUS_ANNOTATION="s1"', 'PREVIOUS_ANNOTATION="s2"'),
        ("<ANNOTATION_DOCUMENT", "<ANNOTATION_DOCUMENTS"),
        ('encoding="UTF-8"', 'encoding="UTF-16"'),
        ("<ANNOTATION_DOCUMENT", '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<ANNOTATION_DOCUMENT'),
        ('TIER_ID="words"', 'TIER_ID="Айгерім"'),
    ),
    "textgrid": (
        ("ooTextFile", "ooBinaryFile"),
        ('"TextGrid"', '"Sound"'),
        ("<exists>", "<absent>"),
        ("size = 3", "size = 999999999"),
        ("size = 3", "size = -1"),
        ('"IntervalTier"', '"PointTier"'),
        ('"TextTier"', '"IntervalTier"'),
        ("xmax = 6", "xmax = -6"),
        ("Praat chronological TextGrid text file", "Praat chronological"),
        ('File type = "ooTextFile"', ""),
    ),
    "srt": (("\n\n", "\n"), ("-->", "->"), (",", "."), ("00:00:0", "99999999999:00:0")),
    "vtt": (("WEBVTT", "WEBVT"), ("WEBVTT", "\ufeffWEBVTT"), ("NOTE", "00:00.000 --> 00:01.000"),
            ("\n\n", "\n"), (".", ",")),
    "csv": (("start_ms", "start"), ("text", "txt"), ("utt_id,", ""), (",", ";"),
            ("end_ms", "start_ms"), ("recording", "tier_kind")),
    "jsonl": (('"start_ms"', '"start"'), ('"text"', '"speaker"'), ("{", "["),
              ('"speech"', '{"a": 1}'), ('"kk"', '["kk"]'), ('"Bolat"', "12")),
}  # fmt: skip
_HEADERS["tsv"] = tuple((a.replace(",", "\t"), b.replace(",", "\t")) for a, b in _HEADERS["csv"])


def _header(rng: random.Random, data: bytes, seed: Seed, fmt: str) -> tuple[str, bytes]:
    if seed.encoding is None:
        return _audio_header(rng, data, seed, fmt)
    text = _text(data, seed)
    options = [(a, b) for a, b in _HEADERS[fmt] if text is not None and a in text]
    if text is None or not options:
        return _lines(rng, data, seed, fmt)
    a, b = rng.choice(options)
    everywhere = rng.random() < 0.3
    out = text.replace(a, b) if everywhere else text.replace(a, b, 1)
    return f"header({a[:30]!r} -> {b[:30]!r}{', all' if everywhere else ''})", _encode(out, seed)


# -- audio headers ----------------------------------------------------------------------------
_HUGE32 = (0, 1, 7, 255, 8_000_000, 2**31 - 1, 2**32 - 1)


def _put(data: bytes, at: int, fmt: str, value: int) -> bytes:
    size = struct.calcsize(fmt)
    if at < 0 or at + size > len(data):
        return data
    value &= (1 << (8 * size)) - 1
    return data[:at] + struct.pack(fmt, value) + data[at + size :]


def _audio_header(rng: random.Random, data: bytes, _seed: Seed, fmt: str) -> tuple[str, bytes]:
    if fmt == "wav":
        data_at = data.find(b"data")
        field, at, code = rng.choice(
            (("riff size", 4, "<I"), ("fmt size", 16, "<I"), ("format tag", 20, "<H"),
             ("channels", 22, "<H"), ("sample rate", 24, "<I"), ("byte rate", 28, "<I"),
             ("block align", 32, "<H"), ("bits", 34, "<H"), ("data size", data_at + 4, "<I"))
        )  # fmt: skip
        value = rng.choice((*_HUGE32, 3, 0xFFFE, 65535)) if code == "<H" else rng.choice(_HUGE32)
        return f"header(wav {field}={value})", _put(data, at, code, value)
    if fmt == "flac":  # STREAMINFO: after 'fLaC' and its 4-byte block header
        field = rng.choice(
            ("block size", "sample rate", "channels/bits", "total samples", "length")
        )
        if field == "block size":
            value = rng.choice((0, 1, 16, 65535))
            return f"header(flac {field}={value})", _put(
                _put(data, 8, ">H", value), 10, ">H", value
            )
        if field == "length":
            value = rng.choice((0, 1, 0xFFFFFF))
            return f"header(flac metadata length={value})", data[:5] + value.to_bytes(
                3, "big"
            ) + data[8:]
        packed = int.from_bytes(data[18:26], "big")
        if field == "sample rate":
            value = rng.choice((0, 1, 100, 0xFFFFF))
            packed = (packed & ~(0xFFFFF << 44)) | (value << 44)
        elif field == "channels/bits":
            value = rng.randrange(256)
            packed = (packed & ~(0xFF << 36)) | (value << 36)
        else:
            value = rng.choice((0, 1, 2**36 - 1, 2**35))
            packed = (packed & ~(2**36 - 1)) | value
        return f"header(flac {field}={value})", data[:18] + packed.to_bytes(8, "big") + data[26:]
    if fmt == "ogg":
        ident = data.find(b"\x01vorbis")
        field, at, code = rng.choice(
            (("granule", 6, "<Q"), ("page segments", 26, "<B"), ("channels", ident + 11, "<B"),
             ("sample rate", ident + 12, "<I"), ("blocksizes", ident + 28, "<B"),
             ("last granule", data.rfind(b"OggS") + 6, "<Q"))
        )  # fmt: skip
        value = rng.choice((0, 1, 255)) if code == "<B" else rng.choice((*_HUGE32, 2**63 - 1))
        return f"header(ogg {field}={value})", _put(data, at, code, value)
    # mp3: an ID3 tag's size, the first frame's header, or a Xing/Info frame count
    xing = max(data.find(b"Xing"), data.find(b"Info"))
    sync = next(
        (i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0), -1
    )
    field = rng.choice(("frame header", "frames", "id3"))
    if field == "frames" and xing >= 0:
        value = rng.choice(_HUGE32)
        return f"header(mp3 xing frames={value})", _put(data, xing + 8, ">I", value)
    if field == "id3":
        value = rng.choice((0x7F7F7F7F, 0x00000100, 0x0FFFFFFF))
        tag = b"ID3\x04\x00\x00" + value.to_bytes(4, "big")
        return f"header(mp3 id3 size={value:#x})", tag + data
    value = rng.choice((0xF0, 0x0C, 0xFC, 0x00, 0x10))
    if sync < 0:
        return _block(rng, data, _seed, fmt)
    out = bytearray(data)
    out[sync + 2] = (out[sync + 2] & ~value & 0xFF) | value
    return f"header(mp3 frame byte 2 |= {value:#x})", bytes(out)


TEXT_MUTATIONS: tuple[Mutation, ...] = (
    _flip, _truncate, _insert_bytes, _number, _number, _lines, _lines, _nest, _header, _header,
)  # fmt: skip
AUDIO_MUTATIONS: tuple[Mutation, ...] = (
    _flip, _truncate, _insert_bytes, _block, _header, _header, _header,
)  # fmt: skip


def mutant(fmt: str, seeds: list[Seed], run_seed: int, index: int) -> Mutant:
    """Mutant ``index`` of ``fmt`` in the run ``run_seed`` (the same on every machine
    for the same seeds)."""
    rng = random.Random(f"{run_seed}:{fmt}:{index}")
    seed = rng.choice(seeds)
    pool = AUDIO_MUTATIONS if seed.encoding is None else TEXT_MUTATIONS
    data, steps = seed.data, []
    for _ in range(2 if rng.random() < 0.25 else 1):
        desc, data = rng.choice(pool)(rng, data, seed, fmt)
        steps.append(desc)
        if not data:
            break
    return Mutant(fmt, index, seed.name, " + ".join(steps), data)
