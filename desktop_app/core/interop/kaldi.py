"""Kaldi data directories: ``wav.scp``, ``segments``, ``text``, ``utt2spk``, ``spk2utt``.

Every file is sorted in C-locale (byte) order as Kaldi's
``utils/validate_data_dir.sh`` requires, and utterance ids start with their
speaker id so that sorting by utterance also sorts by speaker. Speaker ids are
ASCII (``s0001``…; ``u0007`` is the unknown voice of recording 7); their
names are listed in the non-standard ``spk2name``. ``spk2gender`` (``m``/``f``)
is written when every speaker's gender is known to be female or male, as
Kaldi wants it complete or absent. With clips, each utterance
is its own recording and there is no ``segments`` file; otherwise ``segments``
cuts the recordings and ``reco2dur`` gives each recording's length.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import soundfile as sf

from desktop_app.core.interop.dataset import Row, speaker_names

KALDI_GENDER = {"female": "f", "f": "f", "male": "m", "m": "m"}


def _write(path: Path, lines: list[str]) -> None:
    data = "".join(f"{line}\n" for line in sorted(lines, key=lambda s: s.encode("utf-8")))
    path.write_text(data, encoding="utf-8")


def spk2gender(rows: list[Row]) -> dict[str, str]:
    """Speaker id → ``m``/``f``, or nothing when any speaker's gender is not one of them."""
    out: dict[str, str] = {}
    for row in rows:
        g = KALDI_GENDER.get((row.participant["gender"] or "").lower())
        if g is None:
            return {}
        out[row.speaker_id] = g
    return out


def write_kaldi(
    rows: list[Row], folder: Path, final_root: Path, normalize: bool, clips: bool
) -> list[Path]:
    """Write the data dir into ``folder``; audio paths point under ``final_root``
    (where the export ends up once it is complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {"text": [], "utt2spk": [], "wav.scp": []}
    spk2utt: dict[str, list[str]] = {}
    wavs: dict[str, str] = {}
    segments: list[str] = []
    durations: dict[str, str] = {}
    for row in rows:
        text = row.text_normalized if normalize else row.text_raw
        files["text"].append(f"{row.utt_id} {text}".rstrip())
        files["utt2spk"].append(f"{row.utt_id} {row.speaker_id}")
        spk2utt.setdefault(row.speaker_id, []).append(row.utt_id)
        location = str(final_root / row.audio) if row.audio_file else row.audio
        if clips:
            wavs[row.utt_id] = location
        else:
            if row.audio_file is None:  # the project's FLAC: decode on the fly
                location = f"sox {shlex.quote(location)} -t wav -r 16000 -b 16 -c 1 - |"
            wavs[row.recording_key] = location
            if row.recording_key not in durations:
                local = row.audio_file or Path(row.audio)
                durations[row.recording_key] = f"{sf.info(str(local)).duration:.3f}"
            segments.append(
                f"{row.utt_id} {row.recording_key} {row.item.start_ms / 1000:.3f} "
                f"{row.item.end_ms / 1000:.3f}"
            )
    files["wav.scp"] = [f"{key} {loc}" for key, loc in wavs.items()]
    files["spk2utt"] = [f"{spk} {' '.join(sorted(utts))}" for spk, utts in spk2utt.items()]
    files["spk2name"] = [f"{spk} {name}" for spk, name in speaker_names(rows).items()]
    genders = spk2gender(rows)
    if genders:
        files["spk2gender"] = [f"{spk} {g}" for spk, g in genders.items()]
    if segments:
        files["segments"] = segments
        files["reco2dur"] = [f"{key} {dur}" for key, dur in durations.items()]
    out = []
    for name, lines in files.items():
        _write(folder / name, lines)
        out.append(folder / name)
    return out
