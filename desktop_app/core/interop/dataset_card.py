"""The dataset card (``README.md``) of a dataset export, from its statistics.

YAML metadata as the Hugging Face Hub reads it (``pretty_name``, ``language``
from the languages of the exported segments, ``license`` from the project's
setting, ``task_categories``, ``size_categories``; for the ``hf`` format also
``configs`` and ``dataset_info`` with features and sizes), then the text:
hours, segments and speakers per split, language and code-switched shares,
review statuses and what was left out, the text normalisation, how the splits
were made, and how to load the set in three lines of Python.
"""

from __future__ import annotations

import json
import re
from typing import Any

from desktop_app.core.interop.dataset_stats import NO_LICENSE

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/*<>+]*$")
_RESERVED = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}

LOADERS = {
    "hf": (
        "from datasets import load_dataset\n"
        'ds = load_dataset("{folder}")\n'
        'print(ds["train"][0]["audio"]["array"][:10], ds["train"][0]["text"])'
    ),
    "lhotse": (
        "from lhotse import CutSet\n"
        'cuts = CutSet.from_file("{folder}/cuts_{split}.jsonl.gz")\n'
        "print(cuts[0].supervisions[0].text, cuts[0].load_audio().shape)"
    ),
    "webdataset": (
        "import io, soundfile, webdataset as wds\n"
        'ds = wds.WebDataset("{folder}/{shards}", shardshuffle=False).to_tuple("flac", "json")\n'
        "audio, rate = soundfile.read(io.BytesIO(next(iter(ds))[0]))"
    ),
    "kaldi": (
        "from lhotse.kaldi import load_kaldi_data_dir\n"
        'recordings, supervisions, _ = load_kaldi_data_dir("{folder}", sampling_rate=16000)\n'
        "print(len(supervisions), next(iter(supervisions)).text)"
    ),
    "jsonl": (
        "import json\n"
        'rows = [json.loads(line) for line in open("{folder}/{manifest}", encoding="utf-8")]\n'
        'print(rows[0]["audio_filepath"], rows[0]["text"])'
    ),
}
LOADERS["csv"] = (
    "import csv\n"
    'rows = list(csv.DictReader(open("{folder}/{manifest}", encoding="utf-8")))\n'
    'print(rows[0]["audio_filepath"], rows[0]["text"])'
)
LOADERS["tsv"] = LOADERS["csv"].replace("encoding=", 'delimiter="\\t", encoding=')


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def to_yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML of plain dicts, lists and scalars (enough for a card)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, v in value.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{key}:")
                lines += to_yaml(v, indent + (0 if isinstance(v, list) else 2))
            elif isinstance(v, dict | list):
                lines.append(f"{pad}{key}: {'{}' if isinstance(v, dict) else '[]'}")
            else:
                lines.append(f"{pad}{key}: {_scalar(v)}")
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict) and v:
                inner = to_yaml(v, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {_scalar(v)}")
    return lines


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M" if n < 1_000_000 else "1M<n<10M"


PARTICIPANT_TITLES = {
    "gender": "gender",
    "age_band": "age band",
    "dialect": "dialect",
    "region": "region",
    "l1": "first language(s)",
}


def _participant_lines(participants: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """A "Speakers" section: hours and speakers by each participant field that
    anyone filled in (a field unknown for everyone is left out)."""
    known = {
        key: by
        for key, by in participants.items()
        if set(by) - {"unknown"} and key in PARTICIPANT_TITLES
    }
    if not known:
        return []
    lines = ["## Speakers", "", "| field | value | hours | speakers |", "|---|---|---:|---:|"]
    for key, by in known.items():
        for value, s in by.items():
            lines.append(
                f"| {PARTICIPANT_TITLES[key]} | {value} | {s['hours']:.3f} | {s['speakers']} |"
            )
    return [*lines, ""]


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"


def render(
    stats: dict[str, Any],
    *,
    fmt_label: str,
    loader: str,
    hf_yaml: dict[str, Any] | None = None,
    files_note: str = "",
) -> str:
    """The card's Markdown; ``hf_yaml`` adds ``configs``/``dataset_info`` (hf format)."""
    meta: dict[str, Any] = {
        "pretty_name": stats["pretty_name"],
        "language": stats["languages"] or None,
        "license": stats["license"],
        "task_categories": ["automatic-speech-recognition"],
        "size_categories": [size_category(stats["total"]["segments"])],
        "tags": ["speech", "jazba"],
    }
    if not meta["language"]:
        del meta["language"]
    meta |= hf_yaml or {}
    lines = ["---", *to_yaml(meta), "---", "", f"# {stats['pretty_name']}", ""]
    lines.append(
        f"A speech-recognition dataset exported from Jazba ({stats['generator']}, "
        f"{stats['created']}) as {fmt_label}: 16 kHz mono audio and its transcripts. " + files_note
    )
    lines += [
        "",
        "## Contents",
        "",
        "| split | hours | segments | speakers |",
        "|---|---:|---:|---:|",
    ]
    for split, s in stats["per_split"].items():
        lines.append(f"| {split} | {s['hours']:.3f} | {s['segments']} | {s['speakers']} |")
    total = stats["total"]
    lines.append(
        f"| **total** | {total['hours']:.3f} | {total['segments']} | {total['speakers']} |"
    )
    shares = ", ".join(f"{k} {_pct(v)}" for k, v in total["language_share"].items())
    lines += [
        "",
        "## Languages",
        "",
        f"Share of the audio by segment language: {shares or 'none marked'}. "
        f"Code-switched segments (marked `mixed`): {_pct(total['code_switched_share'])}.",
        "",
    ]
    lines += _participant_lines(stats.get("participants") or {})
    lines += [
        "## Review",
        "",
    ]
    sel = stats["selection"]
    statuses = ", ".join(f"{n} {k}" for k, n in total["statuses"].items())
    lines.append(
        f"Review status of the included segments: {statuses}. "
        "`approved` segments were checked by a person; `edited` ones were corrected "
        "by a person but not approved; `auto` ones are model drafts nobody checked."
    )
    lines += ["", f"Selection: {sel['summary']}"]
    text = stats["text"]
    splits = stats["splits"]
    lines += ["", "## Text", "", f"The `text` field is normalised: {text['normalization']}."]
    if not text["normalized"]:
        lines[-1] = "The `text` field is the text as transcribed (not normalised)."
    lines.append(
        "`text_raw` and `text_normalized` hold both forms." if stats["format"] != "kaldi" else ""
    )
    lines += ["", "## Splits", ""]
    if splits["ratios"]:
        r = splits["ratios"]
        lines.append(
            f"Speaker-disjoint (no voice in two splits): train/dev/test shares "
            f"{r['train']}/{r['dev']}/{r['test']} of the audio, seed {splits['seed']}; "
            "speakers are dealt longest first, unnamed voices grouped by recording."
        )
    else:
        lines.append("One set, not split.")
    lines += ["", "## License", ""]
    if stats["license"] == NO_LICENSE:
        lines.append(
            "No license is set for this project (`license: unknown`): ask the data's "
            "owners before sharing it, and set one with `jazba project license PROJECT ID`."
        )
    else:
        lines.append(f"{stats['license']} (set in the Jazba project).")
    lines += ["", "## How to load it", "", "```python", loader, "```", ""]
    return "\n".join(line for line in lines if line is not None) + "\n"
