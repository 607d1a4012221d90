"""The formats Jazba exports and imports, with their names for the CLI and the GUI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFormat:
    id: str
    label: str
    suffix: str  # of the main file(s)
    per_recording: bool  # one annotation file per recording (else a dataset)
    help: str
    dataset: bool = False
    """A training set: by default only checked segments of transcription tiers
    (CSV/TSV tables are one when they carry audio or splits)."""
    embeds_audio: bool = False  # the audio goes inside the dataset's own files


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.id: f
    for f in (
        ExportFormat(
            "eaf",
            "ELAN (.eaf)",
            ".eaf",
            True,
            "A tier per tier and speaker, status and language vocabularies, linked media.",
        ),
        ExportFormat(
            "textgrid",
            "Praat TextGrid",
            ".TextGrid",
            True,
            "An interval tier per tier and speaker, plus language and word tiers.",
        ),
        ExportFormat(
            "srt",
            "SubRip subtitles (.srt)",
            ".srt",
            True,
            "One cue per segment; the speaker as a 'Name: ' prefix.",
        ),
        ExportFormat(
            "vtt",
            "WebVTT subtitles (.vtt)",
            ".vtt",
            True,
            "One cue per segment with <v speaker> and <lang> spans.",
        ),
        ExportFormat(
            "rttm",
            "RTTM speaker turns (.rttm)",
            ".rttm",
            True,
            "Who spoke when (diarization scoring tools); segments without a speaker are left out.",
        ),
        ExportFormat("csv", "CSV table", ".csv", False, "One row per segment, every field."),
        ExportFormat(
            "tsv", "TSV table", ".tsv", False, "One row per segment, every field, tab-separated."
        ),
        ExportFormat(
            "jsonl",
            "JSONL manifest (NeMo)",
            ".jsonl",
            False,
            "audio_filepath, duration, offset, text, speaker, language…",
            dataset=True,
        ),
        ExportFormat(
            "hf",
            "Hugging Face dataset (Parquet)",
            ".parquet",
            False,
            "Loads with datasets.load_dataset(folder); needs the 'hf' extra.",
            dataset=True,
        ),
        ExportFormat(
            "kaldi",
            "Kaldi data directory",
            "",
            False,
            "wav.scp, segments, reco2dur, text, utt2spk, spk2utt (sorted).",
            dataset=True,
        ),
        ExportFormat(
            "lhotse",
            "Lhotse manifests",
            ".jsonl.gz",
            False,
            "Recordings, supervisions and cuts (.jsonl.gz) for Lhotse, icefall and NeMo.",
            dataset=True,
        ),
        ExportFormat(
            "webdataset",
            "WebDataset shards",
            ".tar",
            False,
            "Tar shards of {key}.flac + {key}.json with a shard index, for streaming.",
            dataset=True,
            embeds_audio=True,
        ),
    )
}

IMPORT_SUFFIXES: dict[str, str] = {
    ".eaf": "eaf",
    ".textgrid": "textgrid",
    ".srt": "srt",
    ".vtt": "vtt",
    ".txt": "txt",
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".rttm": "rttm",
}
"""Annotation files by lower-case suffix (``.TextGrid`` is ``.textgrid``)."""

IMPORT_FILTER = (
    "Annotations (*.eaf *.TextGrid *.textgrid *.srt *.vtt *.txt *.csv *.tsv *.jsonl *.rttm)"
)


def is_annotation_file(name: str) -> bool:
    from pathlib import PurePath

    return PurePath(name).suffix.lower() in IMPORT_SUFFIXES
