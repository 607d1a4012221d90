"""Benchmark: concordance search over 100,000 segments (goal: ≤ 100 ms for a word).

    .venv/bin/python benchmarks/concordance.py
    .venv/bin/python benchmarks/concordance.py --segments 20000 --keep /tmp/conc.jazba

Builds (once; ``--keep DIR`` reuses it) a project of 100 recordings whose
segments are Kazakh sentences from ``shared/kk_sentences_dev.txt`` shuffled and
combined, with Kazakh case endings added to some words (so the index holds many
word forms, as real Kazakh text does), some capitalised, and every fifth
segment a Russian one on a second tier ("translation"). Then it times
``concordance()`` (median of several runs, each a fresh unit of work as in
the app) for word, prefix and regex searches, says which plan each regex got
(index / vocabulary / scan), the same regex with the index switched off, a
scan inside SQLite through a registered ``REGEXP`` function, and, as the
reference, a naive Python scan over all texts (fetch every text, then
``re.search`` each), all in the same run. Prints ms and the ratio to 100 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from desktop_app.core.project import Project  # noqa: E402
from desktop_app.core.services.concordance import concordance, plan  # noqa: E402
from desktop_app.core.services.speakers import SpeakerService, TierService  # noqa: E402
from desktop_app.core.store.schema import Recording  # noqa: E402

GOAL_MS = 100.0
SENTENCES = ROOT.parent / "shared" / "kk_sentences_dev.txt"
FALLBACK_SENTENCES = ("біз ертең алматыға барамыз", "астана қазақстанның елордасы")
SUFFIXES = ("", "", "", "лар", "ға", "да", "дың", "мен", "нан", "ның", "ларға", "дағы", "ымыз")
RUSSIAN = (
    "Мы завтра едем в Алматы",
    "Сегодня очень хорошая погода",
    "Астана — столица Казахстана",
    "Ёлка стоит во дворе, а йогурт в холодильнике",
    "Я опоздал на встречу и не успел позвонить",
    "В библиотеке много книг на казахском языке",
    "Дети играют во дворе",
    "Нужно подготовить отчёт к пятнице",
)


def sentences() -> list[str]:
    path = SENTENCES if SENTENCES.exists() else Path("/work/shared/kk_sentences_dev.txt")
    if path.exists():
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        return [ln for ln in lines if ln]
    return list(FALLBACK_SENTENCES)


def kazakh_text(rng: random.Random, base: list[str]) -> str:
    words = " ".join(rng.sample(base, 2)).split()
    rng.shuffle(words)
    words = [w + rng.choice(SUFFIXES) for w in words[: rng.randint(5, 14)]]
    out = " ".join(words)
    if rng.random() < 0.3:
        out = out[0].upper() + out[1:]
    return out + rng.choice((".", ".", ",", "?", "!"))


def build(path: Path, n_segments: int, seed: int = 7) -> Project:
    project = Project.create(path, "concordance benchmark")
    rng = random.Random(seed)
    base = sentences()
    tiers = TierService(project)
    main_tier = next(t.id for t in tiers.list() if t.name == "transcription")
    ru_tier = tiers.create("translation", kind="translation", language="ru").id
    speakers = [SpeakerService(project).create(n).id for n in ("Айгүл", "Ерлан", "Нұрлан")]
    n_recs = 100
    per_rec = max(1, n_segments // n_recs)
    with project.unit() as s:
        rec_ids = []
        for i in range(n_recs):
            r = Recording(
                title=f"сұхбат {i + 1:03d}",
                original_filename=f"r{i}.wav",
                audio_path=f"audio/r{i}.wav",
                model_audio_path=f"cache/r{i}.flac",
                peaks_path=f"cache/r{i}.peaks.npy",
                sha256=f"{i:064x}",
                duration_ms=per_rec * 4000,
                sample_rate=16000,
                channels=1,
                frames=per_rec * 4000 * 16,
                format="WAV",
            )
            s.add(r)
            s.flush()
            rec_ids.append(r.id)
        rows = []
        for k in range(n_segments):
            rec = rec_ids[k % n_recs]
            t = (k // n_recs) * 4000
            ru = k % 5 == 4
            rows.append(
                {
                    "rec": rec,
                    "tier": ru_tier if ru else main_tier,
                    "start": t,
                    "end": t + 3500,
                    "sp": rng.choice(speakers),
                    "text": rng.choice(RUSSIAN) if ru else kazakh_text(rng, base),
                }
            )
        s.execute(
            text(
                "INSERT INTO segments (recording_id, tier_id, start_ms, end_ms, speaker_id, text,"
                " status, deleted, created_at, updated_at) VALUES (:rec, :tier, :start, :end, :sp,"
                " :text, 'auto', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            rows,
        )
    return project


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    result = fn()  # warm (page cache, compiled regex)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def report(label: str, ms: float, n: int, note: str = "") -> None:
    print(f"  {label:<46} {ms:8.1f} ms  {ms / GOAL_MS:5.2f}× goal  {n:>6} hits  {note}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--limit", type=int, default=1000, help="hits asked for (as the GUI)")
    ap.add_argument("--keep", type=Path, help="build the project here once and reuse it")
    args = ap.parse_args()

    tmp = None
    if args.keep and args.keep.exists():
        project = Project.open(args.keep)
    else:
        if args.keep is None:
            tmp = tempfile.TemporaryDirectory()
        where = args.keep or Path(tmp.name) / "bench.jazba"  # type: ignore[union-attr]
        t0 = time.perf_counter()
        project = build(where, args.segments)
        print(f"built {args.segments} segments in {time.perf_counter() - t0:.1f} s")
    try:
        with project.unit() as s:
            n = s.execute(text("SELECT count(*) FROM segments WHERE deleted = 0")).scalar_one()
            s.connection().exec_driver_sql(
                "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, segments_fts, 'row')"
            )
            words = s.execute(text("SELECT count(*) FROM temp.v")).scalar_one()
        print(f"{n} segments, {words} distinct indexed words; median of {args.runs} runs,")
        print(f"limit {args.limit} hits (the GUI's); goal {GOAL_MS:.0f} ms")
        cases: list[tuple[str, str, str, bool]] = [
            ("word  алматыға", "алматыға", "word", True),
            ("word  ЖАЙЛАУҒА (not in text: 0 hits)", "ЖАЙЛАУҒА", "word", True),
            ("word  мен (very common)", "мен", "word", True),
            ("word  ёлка (Russian tier)", "ёлка", "word", True),
            ("prefix  қазақ", "қазақ", "prefix", True),
            ("regex \\bалмат\\w*", r"\bалмат\w*", "regex", True),
            ("regex алмат[ыа]\\w*", r"алмат[ыа]\w*", "regex", True),
            ("regex \\w+дың\\b", r"\w+дың\b", "regex", True),
            ("regex \\bкітап\\w*ға\\b", r"\bкітап\w*ға\b", "regex", True),
            ("regex [әө]\\w*[қғ]\\w*лар (no literal)", r"[әө]\w*[қғ]\w*лар", "regex", True),
            ("regex \\bалмат\\w*, index off (scan)", r"\bалмат\w*", "regex", False),
            ("regex алмат[ыа]\\w*, index off (scan)", r"алмат[ыа]\w*", "regex", False),
        ]
        print("concordance():")
        for label, pattern, mode, pre in cases:
            ms, hits = median_ms(
                lambda p=pattern, m=mode, f=pre: concordance(
                    project, p, mode=m, limit=args.limit, prefilter=f
                ),
                args.runs,
            )
            pl = plan(pattern, mode)  # type: ignore[arg-type]
            how = (pl.strategy if pre else "scan") if pl else "-"
            report(label, ms, len(hits), how)  # type: ignore[arg-type]

        rx = re.compile(r"\bалмат\w*", re.IGNORECASE)

        def sql_regexp() -> int:
            with project.unit() as s:
                raw = s.connection().connection.driver_connection
                raw.create_function(
                    "regexp", 2, lambda p, t: rx.search(t) is not None, deterministic=True
                )
                rows = s.execute(
                    text(
                        "SELECT id, text FROM segments WHERE deleted = 0 AND text REGEXP :p "
                        "ORDER BY recording_id, start_ms"
                    ),
                    {"p": rx.pattern},
                ).fetchall()
                return len(rows)

        ms, count = median_ms(sql_regexp, args.runs)
        report("SQL REGEXP function scan \\bалмат\\w* (rows)", ms, count)  # type: ignore[arg-type]

        def naive() -> int:
            with project.unit() as s:
                texts = s.execute(text("SELECT text FROM segments WHERE deleted = 0")).scalars()
                return sum(1 for t in texts for _ in rx.finditer(t))

        ms, count = median_ms(naive, args.runs)
        report("reference: naive Python scan (fetch + re)", ms, count)  # type: ignore[arg-type]
        with project.unit() as s:
            texts = list(s.execute(text("SELECT text FROM segments WHERE deleted = 0")).scalars())
        ms, count = median_ms(lambda: sum(1 for t in texts for _ in rx.finditer(t)), args.runs)
        report("reference: re over texts already in memory", ms, count)  # type: ignore[arg-type]
    finally:
        project.close()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
