"""Benchmark: the transcript's wrapped rows on a 2-hour recording (2,000 segments).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/transcript_rows.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/transcript_rows.py --hours 0.5 --keep DIR

Builds (once; ``--keep DIR`` reuses it) the waveform benchmark's project (see
``benchmarks/waveform_paint.py``: 2 h of speech-like audio, a segment for every
3.4 s of sound) with a model-like draft on every segment: interview sentences
in Kazakh of 1 to 4 lines at the usual width, each word with a time and a
probability drawn as a weak model's are (mostly 0.4-0.9). Then, in the real
main window (offscreen, 1600x1000), it measures

* **open**: ``ProjectOps.open_project`` until the transcript has been painted
  (the row heights of every segment are part of it), and ``fit_rows`` alone,
  cold (first time each text is wrapped) and warm (after an edit: cached);
* **scroll frames**: 100 steps of the transcript's scroll bar (50 pages down,
  50 back), each from the step until the viewport has repainted (synchronously);
* **width change**: the window 300 px narrower, until every row has its new
  height and the transcript has repainted (what a splitter drag costs per step).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from waveform_paint import build_project, summary  # noqa: E402

from desktop_app.core.services.segments import NewSegment  # noqa: E402

KAZAKH_SENTENCES = (
    "Мен осы ауылда туып-өстім, әкем колхозда жылқышы болып істеді, ал анам мектепте "
    "қазақ тілі мен әдебиетінен сабақ берді.",
    "Бала кезімізде қыста қар өте қалың түсетін, сондықтан біз мектепке шанамен баратынбыз.",
    "Әжем бізге ертегі айтып беретін, әсіресе Алдар көсе туралы әңгімелерді көп айтатын.",
    "Соғыстан кейінгі жылдары өте қиын болды, нан жетпейтін, бірақ адамдар бір-біріне "
    "көмектесетін.",
    "Иә, дұрыс айтасыз.",
    "Жазда біз жайлауға көшетінбіз, онда киіз үй тігіп, мал бағатынбыз.",
    "Қазір жастар қалаға көшіп кетті, ауылда негізінен қарт адамдар қалды.",
    "Той кезінде бәрі жиналып, домбыра тартып, ән салатын, айтыс болатын.",
    "Мен алпыс бесінші жылы Алматыдағы педагогикалық институтқа түстім.",
    "Ол кезде орысша сөйлейтіндер көп еді, бірақ үйде біз тек қазақша сөйлестік.",
    "Жоқ, есімде жоқ.",
    "Біздің ауылдың атауы бұрын басқаша болған, кейін оны өзгертті.",
    "Наурыз мейрамында наурыз көже пісіріп, көршілерді шақыратынбыз.",
    "Атам қарияларды құрметтеу керек, үлкеннің алдын кесіп өтпеу керек деп үйрететін.",
    "Мектепті бітірген соң бір жыл совхозда тракторшы болып жұмыс істедім, содан кейін "
    "әскерге кеттім, ал әскерден оралған соң үйлендім, бізде төрт бала бар, бәрі де оқу "
    "бітірді, үлкен ұлым қазір Астанада дәрігер болып істейді.",
    "Қазір немерелерім келгенде оларға қазақша сөйлеуді үйретемін, олар кейде орысша жауап береді.",
    "Бұл сурет жетпісінші жылдары түсірілген, мұнда менің бауырларым тұр.",
    "Көктемде өзен тасып, көпірді су алып кететін, сонда біз қайықпен өтетінбіз.",
    "Рақмет, келгеніңізге қуаныштымын.",
    "Ол кісі өте білімді адам еді, бүкіл ауыл оның ақылын тыңдайтын.",
    "Біз бидай, арпа ектік, күзде бәріміз бірге орақ орғанға шығатынбыз.",
    "Айтпақшы, сол жылы біздің ауылға алғаш рет электр жарығы келді, бәріміз қатты "
    "қуандық, кешке дейін шамды сөндірмей отыратынбыз.",
    "Жақсы, енді келесі сұраққа көшейік.",
)


def draft_words(text: str, start_ms: int, end_ms: int, rng: random.Random) -> list[dict]:
    """The model's words for ``text``: times spread over the segment, probabilities
    as a weak model gives them (Beta(4.5, 2.2): mostly 0.4-0.9, a few very low)."""
    words = text.split()
    step = (end_ms - start_ms) / 1000 / len(words)
    return [
        {
            "w": " " + w,
            "s": round(start_ms / 1000 + i * step, 3),
            "e": round(start_ms / 1000 + (i + 1) * step, 3),
            "p": round(rng.betavariate(4.5, 2.2), 3),
        }
        for i, w in enumerate(words)
    ]


def draft_segment(k: int, start_ms: int, end_ms: int, rng: random.Random) -> NewSegment:
    """The k-th sentence as model output: words, probabilities, a confidence
    (the geometric mean of the word probabilities)."""
    text = KAZAKH_SENTENCES[k % len(KAZAKH_SENTENCES)]
    words = draft_words(text, start_ms, end_ms, rng)
    log_p = sum(math.log(max(1e-6, w["p"])) for w in words) / len(words)
    conf = round(math.exp(log_p), 3)
    return NewSegment(start_ms, end_ms, text, language="kk", confidence=conf, words=words)


def measure(path: Path) -> None:
    os.environ["JAZBA_CONFIG_DIR"] = str(path.parent / "config")
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.settings import Settings
    from desktop_app.gui import theme
    from desktop_app.gui.app import create_app
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.review.segment_table_model import Col

    app = create_app([sys.argv[0]])
    assert isinstance(app, QApplication)
    theme.manager().apply("light")
    window = MainWindow(Settings())
    window.resize(1600, 1000)
    window.show()
    for _ in range(20):
        app.processEvents()
    pane = window.transcript
    view = pane.view

    t0 = time.perf_counter()
    assert window.ops.open_project(path)
    app.processEvents()
    view.viewport().repaint()
    opened = time.perf_counter() - t0
    n = window.segment_model.rowCount()
    rows = view.verticalHeader()
    heights = [rows.sectionSize(r) for r in range(n)]
    lines = {h: heights.count(h) for h in sorted(set(heights))}
    print(
        f"{n} segments; Text column {view.columnWidth(Col.TEXT)} px; row heights (px: rows) {lines}"
    )
    print(f"open -> transcript painted {opened * 1000:7.1f} ms")

    fit = getattr(pane, "fit_rows", lambda: None)  # (absent before rows wrapped)
    getattr(pane.text_delegate, "_wrappers", {}).clear()  # cold: every text wrapped anew
    t = time.perf_counter()
    fit()
    cold = time.perf_counter() - t
    t = time.perf_counter()
    fit()
    warm = time.perf_counter() - t
    print(f"fit_rows (all rows)     cold {cold * 1000:6.1f} ms   warm {warm * 1000:6.1f} ms")

    bar = view.verticalScrollBar()
    page = max(1, bar.pageStep())
    start = bar.maximum() // 3
    bar.setValue(start)
    app.processEvents()
    frames = []
    for k in (*range(1, 51), *range(49, -1, -1)):
        t = time.perf_counter()
        bar.setValue(start + k * page)
        app.processEvents()
        view.viewport().repaint()
        frames.append(time.perf_counter() - t)
    print(summary("scroll (a page a step)", frames))

    resize = []
    for width in (1300, 1600, 1300, 1600):
        t = time.perf_counter()
        window.resize(width, 1000)
        app.processEvents()
        fit()  # what the debounce timer runs 30 ms later
        view.viewport().repaint()
        resize.append(time.perf_counter() - t)
    print(summary("width change (±300 px)", resize))
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--keep", type=Path, help="build into (and reuse) this folder")
    args = parser.parse_args(argv)
    seconds = int(args.hours * 3600)
    rng = random.Random(0)

    def build(folder: Path) -> Path:
        return build_project(
            folder,
            seconds,
            name="bench-transcript.jazba",
            segment=lambda k, start, end: draft_segment(k, start, end, rng),
        )

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        measure(build(args.keep))
        return 0
    with tempfile.TemporaryDirectory(prefix="jazba-bench-") as tmp:
        measure(build(Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
