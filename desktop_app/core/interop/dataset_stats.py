"""The statistics of a dataset export: what ``stats.json`` and the dataset card say.

Hours, segments and speakers per split; hours and speakers by the speakers'
gender, age band, dialect, region and first languages; each language's share of the audio
and the code-switched share (segments marked ``mixed``); review statuses;
how the text was normalised; how the splits were made; what was left out
(see :mod:`~desktop_app.core.interop.selection`). Computed from the rows
before any audio is written, so every format reports the same numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app import __version__
from desktop_app.core.interop.dataset import Row
from desktop_app.core.interop.selection import Selection
from desktop_app.core.interop.splits import SPLITS, SplitSpec
from desktop_app.core.project import Project

LICENSE_KEY = "dataset_license"
"""Project setting (``project_meta``): the license of the project's exported datasets."""
NO_LICENSE = "unknown"
MIXED = "mixed"
NORMALIZATION = (
    "Unicode NFC, lower case, bracketed tags ([noise], {laugh}, <x>) removed, "
    "punctuation and symbols removed except apostrophes inside words, spaces collapsed"
)
STATS_NAME = "stats.json"


def project_license(project: Project) -> str:
    """The project's dataset license (an SPDX-like id such as ``cc-by-4.0``), or ``unknown``."""
    return project.meta().get(LICENSE_KEY, "").strip() or NO_LICENSE


def set_project_license(project: Project, license_id: str) -> None:
    project.set_meta(LICENSE_KEY, license_id.strip())


@dataclass
class SplitStats:
    segments: int = 0
    ms: int = 0
    speakers: set[str] = field(default_factory=set)
    language_ms: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    code_switched: int = 0
    participant_ms: dict[str, dict[str, int]] = field(default_factory=dict)
    participant_speakers: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        item = row.item
        self.segments += 1
        self.ms += item.duration_ms
        self.speakers.add(row.speaker_id)
        lang = item.language or "unknown"
        self.language_ms[lang] = self.language_ms.get(lang, 0) + item.duration_ms
        self.statuses[item.status] = self.statuses.get(item.status, 0) + 1
        self.code_switched += item.language == MIXED
        for key, value in row.participant.items():
            if key == "birth_year":
                continue
            name = str(value) if value not in (None, "") else "unknown"
            ms = self.participant_ms.setdefault(key, {})
            ms[name] = ms.get(name, 0) + item.duration_ms
            self.participant_speakers.setdefault(key, {}).setdefault(name, set()).add(
                row.speaker_id
            )

    def participants_json(self) -> dict[str, dict[str, dict[str, float]]]:
        """Hours and speakers per gender, age band, dialect, region and first languages."""
        return {
            key: {
                value: {
                    "hours": round(ms / 3_600_000, 4),
                    "speakers": len(self.participant_speakers[key][value]),
                }
                for value, ms in sorted(by.items(), key=lambda kv: (-kv[1], kv[0]))
            }
            for key, by in self.participant_ms.items()
        }

    def to_json(self) -> dict[str, Any]:
        total = self.ms or 1
        return {
            "segments": self.segments,
            "hours": round(self.ms / 3_600_000, 4),
            "speakers": len(self.speakers),
            "language_share": {k: round(v / total, 4) for k, v in sorted(self.language_ms.items())},
            "code_switched_share": round(self.code_switched / max(1, self.segments), 4),
            "statuses": dict(sorted(self.statuses.items())),
        }


def split_name(split: str, hf: bool = False) -> str:
    """Our split names (``all`` when unsplit); Hugging Face calls dev ``validation``
    and an unsplit set ``train``."""
    if hf:
        return {"dev": "validation", "all": "train"}.get(split, split)
    return split


def compute(
    rows: list[Row],
    *,
    project_name: str,
    license_id: str,
    fmt: str,
    audio: str,
    normalize: bool,
    splits: SplitSpec | None,
    selection: Selection,
    hf_names: bool = False,
) -> dict[str, Any]:
    """Everything ``stats.json`` holds (``files`` is filled in after writing)."""
    per: dict[str, SplitStats] = {}
    total = SplitStats()
    for row in rows:
        per.setdefault(split_name(row.split, hf_names), SplitStats()).add(row)
        total.add(row)
    order = [split_name(s, hf_names) for s in (*SPLITS, "all")]
    languages = sorted(
        (k for k in total.language_ms if k not in ("unknown", MIXED)),
        key=lambda k: -total.language_ms[k],
    )
    return {
        "generator": f"Jazba {__version__}",
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "format": fmt,
        "pretty_name": project_name,
        "license": license_id,
        "languages": languages,
        "audio": {"mode": audio, "sampling_rate": 16_000, "channels": 1},
        "text": {
            "field": "text",
            "normalized": normalize,
            "normalization": NORMALIZATION if normalize else "none (the text as transcribed)",
            "raw_and_normalized_fields": ["text_raw", "text_normalized"],
        },
        "splits": {
            "method": "speaker-disjoint" if splits else "none (one set)",
            "ratios": {"train": splits.train, "dev": splits.dev, "test": splits.test}
            if splits
            else None,
            "seed": splits.seed if splits else None,
        },
        "selection": selection.to_json(),
        "total": total.to_json(),
        "participants": total.participants_json(),
        "per_split": {s: per[s].to_json() for s in sorted(per, key=order.index)},
        "files": {},
    }


def write_stats(folder: Path, stats: dict[str, Any]) -> Path:
    path = folder / STATS_NAME
    path.write_text(json.dumps(stats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def folder_bytes(folder: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern) if p.is_file())
