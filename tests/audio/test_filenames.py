"""Safe and unique names for imported files."""

from __future__ import annotations

from itertools import islice

import pytest

from desktop_app.core.audio.filenames import MAX_NAME_BYTES, name_candidates, safe_file_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("сұхбат.wav", "сұхбат.wav"),  # Kazakh letters stay
        ("a/b\\c.mp3", "a_b_c.mp3"),
        ('what? "why": <now>|*.m4a', "what_ _why__ _now___.m4a"),
        ("tab\there\x00.wav", "tab_here_.wav"),
        ("..hidden.wav", "hidden.wav"),
        (" spaced .wav. ", "spaced .wav"),
        ("CON.wav", "_CON.wav"),
        ("lpt1.tar.flac", "_lpt1.tar.flac"),
        ("", "audio"),
        ("...", "audio"),
        ("noext", "noext"),
        (".wav", "wav"),
    ],
)
def test_safe_file_name(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_decomposed_unicode_is_composed() -> None:
    decomposed = "й.wav".replace("й", "и\u0306")
    assert safe_file_name(decomposed) == "й.wav"


def test_long_names_are_cut_on_a_character_keeping_the_extension() -> None:
    name = "ә" * 200 + ".flac"  # 2 bytes a letter
    safe = safe_file_name(name)
    assert safe.endswith(".flac")
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert set(safe[: -len(".flac")]) == {"ә"}


def test_name_candidates_count_up() -> None:
    assert list(islice(name_candidates("a.wav"), 4)) == ["a.wav", "a-2.wav", "a-3.wav", "a-4.wav"]
    assert list(islice(name_candidates("noext"), 2)) == ["noext", "noext-2"]
    assert list(islice(name_candidates("a.b.flac"), 2)) == ["a.b.flac", "a.b-2.flac"]
