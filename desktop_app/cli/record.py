"""``jazba record``: headless field recording with the same guarantees as the GUI.

Audio is written crash-safe into the project's ``recordings-in-progress/``
folder (at most about a second is lost on a crash or power loss). Ctrl+C (or
``--duration``) stops and adds the recording to the project; pressing Enter
while recording drops a marker. Unfinished recordings left by a crash are
repaired and imported first (``--recover`` does only that).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from desktop_app.cli.common import CliProgress, fmt_time, open_project, user_errors
from desktop_app.core.capture import (
    BIT_DEPTHS,
    SAMPLE_RATES,
    CaptureError,
    CaptureSource,
    ImportOutcome,
    ProjectRecorder,
    RecorderOptions,
    RecorderStatus,
    SessionMeta,
    SyntheticSource,
    finish_recording,
    list_input_devices,
    open_input,
    recover_unfinished,
    start_recording,
)
from desktop_app.core.project import Project
from desktop_app.core.services.speakers import SpeakerService

STATUS_EVERY_S = 5.0  # a status line this often when stderr is not a terminal


def print_devices() -> None:
    devices = list_input_devices()
    if not devices:
        typer.echo("No audio input device found.")
        return
    for d in devices:
        typer.echo(
            f"{d.index:>3}  {d.label}  ({d.max_channels} ch, {d.default_rate:.0f} Hz default)"
        )


def recover(project: Project, quiet: bool = False) -> int:
    """Import what a crash left behind; returns how many recordings were added."""
    added = 0
    for item in recover_unfinished(project, CliProgress("Recovering", quiet).state()):
        if item.error:
            typer.echo(f"Could not recover '{item.wav_name}': {item.error}", err=True)
        elif item.outcome is not None and item.outcome.info is not None:
            info = item.outcome.info
            added += 1
            typer.echo(
                f"Recovered unfinished recording '{item.wav_name}' as #{info.id} "
                f"'{info.title}' ({fmt_time(info.duration_ms)}, {info.origin})."
            )
    return added


def _status_line(st: RecorderStatus) -> str:
    peak = st.level.max_peak_db
    meter = "#" * max(0, min(20, int((peak + 60) / 3)))
    clip = " CLIP" if st.level.clipped else ""
    state = "paused" if st.paused else "rec"
    return (
        f"● {state} {fmt_time(int(st.elapsed_s * 1000))} [{meter:<20}] {peak:6.1f} dBFS{clip}"
        f"  markers {st.markers}  dropped {st.dropped_blocks}"
        f"  disk {st.free_bytes / 1e9:.1f} GB (~{st.seconds_left / 3600:.0f} h)"
    )


def _watch_enter(recorder: ProjectRecorder) -> None:
    """Each Enter typed on the terminal drops a marker."""

    def loop() -> None:
        for line in sys.stdin:
            if recorder.finished:
                return
            marker = recorder.add_marker(line.strip() or None)
            at = fmt_time(marker.frame * 1000 // recorder.source.rate)
            sys.stderr.write(f"\nmarker '{marker.label}' at {at}\n")

    threading.Thread(target=loop, name="markers", daemon=True).start()


def _run(recorder: ProjectRecorder, quiet: bool, stop: threading.Event) -> None:
    tty = sys.stderr.isatty()
    last_line = 0.0
    while not recorder.finished and not stop.is_set():
        st = recorder.status()
        now = time.monotonic()
        if not quiet and (tty or now - last_line >= STATUS_EVERY_S):
            sys.stderr.write(("\r" if tty else "") + _status_line(st) + ("" if tty else "\n"))
            sys.stderr.flush()
            last_line = now
        time.sleep(0.1)


@user_errors
def record(
    project_path: Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")],
    device: Annotated[
        str | None,
        typer.Option(help="Input device: its number or part of its name (see --list-devices)."),
    ] = None,
    rate: Annotated[int, typer.Option(help="Sample rate: 16000, 44100 or 48000 Hz.")] = 48_000,
    channels: Annotated[int, typer.Option(help="1 = mono, 2 = stereo.")] = 1,
    bits: Annotated[int, typer.Option(help="Bit depth: 16, or 24 (archive quality).")] = 16,
    fmt: Annotated[
        str, typer.Option("--format", help="What the project keeps: wav or flac (smaller).")
    ] = "wav",
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl+C).")
    ] = None,
    speaker: Annotated[
        list[str] | None,
        typer.Option(help="A speaker in this session (repeat for several; new names are added)."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title of the recording.")] = None,
    date: Annotated[str | None, typer.Option(help="Recording date (default: today).")] = None,
    place: Annotated[str | None, typer.Option(help="Where it is recorded.")] = None,
    language: Annotated[str | None, typer.Option(help="Language tags, e.g. kk,ru.")] = None,
    consent: Annotated[
        str | None, typer.Option(help="Consent given, and how (e.g. 'oral, on tape').")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Free notes.")] = None,
    list_devices: Annotated[
        bool, typer.Option("--list-devices", help="List the audio inputs and exit.")
    ] = False,
    recover_only: Annotated[
        bool,
        typer.Option(
            "--recover", help="Only repair and import recordings a crash left, then exit."
        ),
    ] = False,
    test_signal: Annotated[
        bool,
        typer.Option(
            "--test-signal", help="Record a generated test signal instead of a microphone."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No live status line.")] = False,
) -> None:
    """Record from a microphone into a project (Ctrl+C stops and saves; Enter drops a marker)."""
    if list_devices:
        print_devices()
        return
    if rate not in SAMPLE_RATES:
        raise typer.BadParameter(
            f"use one of {', '.join(map(str, SAMPLE_RATES))}", param_hint="--rate"
        )
    if channels not in (1, 2):
        raise typer.BadParameter("use 1 (mono) or 2 (stereo)", param_hint="--channels")
    if bits not in BIT_DEPTHS:
        raise typer.BadParameter("use 16 or 24", param_hint="--bits")
    if fmt not in ("wav", "flac"):
        raise typer.BadParameter("use wav or flac", param_hint="--format")
    with open_project(project_path) as project:
        recover(project, quiet)
        if recover_only:
            return
        source: CaptureSource = (
            SyntheticSource(rate, channels, bits=bits)
            if test_signal
            else open_input(device, rate, channels, bits=bits)
        )
        speakers = SpeakerService(project)
        ids = tuple(speakers.get_or_create(name).id for name in speaker or [] if name.strip())
        meta = SessionMeta(
            title=title,
            recorded_on=date,
            place=place,
            languages=language,
            consent=consent,
            notes=notes,
            speaker_ids=ids,
        )
        outcome = _record(project, source, meta, fmt, duration, quiet)
    _report(outcome)


def _record(
    project: Project,
    source: CaptureSource,
    meta: SessionMeta,
    fmt: str,
    duration: float | None,
    quiet: bool,
) -> ImportOutcome:
    # Ctrl+C and SIGTERM only ask the loop to stop: an exception raised at an
    # arbitrary point (say, while the recorder is still starting) could leave
    # the writer thread running and the process hanging.
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        options = RecorderOptions(
            max_frames=None if duration is None else max(1, round(duration * source.rate))
        )
        recorder = start_recording(project, source, meta, final_format=fmt, options=options)
        typer.echo(
            f"Recording from '{source.name}' ({source.rate} Hz, {source.bits}-bit, "
            f"{source.channels} ch) into "
            f"{recorder.wav_path.parent}. Ctrl+C stops and saves; Enter drops a marker.",
            err=True,
        )
        if sys.stdin is not None and sys.stdin.isatty():
            _watch_enter(recorder)
        _run(recorder, quiet, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    result = recorder.stop() if not recorder.finished else recorder.wait()
    if not quiet:
        sys.stderr.write("\n")
    if result is not None:
        if result.message:
            typer.echo(result.message, err=True)
        typer.echo(
            f"Captured {result.duration_s:.2f} s; dropped {result.dropped_blocks} block(s) "
            f"({result.dropped_frames / result.rate:.3f} s), {result.overflows} overflow(s).",
            err=True,
        )
    try:
        return finish_recording(recorder, CliProgress("Saving", quiet).state())
    except KeyboardInterrupt as exc:
        raise CaptureError(
            f"Saving was interrupted; the recording is kept in '{recorder.wav_path.parent}' "
            "and is added the next time the project is opened for recording or recovery."
        ) from exc


def _report(outcome: ImportOutcome) -> None:
    info = outcome.info
    if info is None:
        typer.echo("Nothing was recorded.")
        return
    typer.echo(
        f"Saved #{info.id} '{info.title}': {fmt_time(info.duration_ms)}, {info.sample_rate} Hz, "
        f"{info.channels} ch, {outcome.markers} marker(s), {outcome.utterances} utterance(s)"
    )
