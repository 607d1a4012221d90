"""``jazba diarize`` and ``jazba speakers ...``: who spoke when, and known voices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from desktop_app.cli.common import CliProgress, fmt_time, open_project, user_errors
from desktop_app.core.errors import Cancelled
from desktop_app.core.jobs import Progress
from desktop_app.core.project import Project
from desktop_app.core.services.dto import RecordingInfo
from desktop_app.core.services.recordings import RecordingService
from desktop_app.core.services.speaker_profiles import MATCH_THRESHOLD, ProfileService
from desktop_app.services.diarization import (
    AUTO,
    DiarizeRequest,
    DiarizeResult,
    choose_segmenter,
    diarize_recording,
)
from desktop_app.speakers.embedder import SpeakerEmbedder
from desktop_app.speakers.models import (
    GE2E_ID,
    choose_speaker_model,
    find_speaker_model,
    install_speaker_model,
    list_speaker_models,
    verify_speaker_model,
)
from desktop_app.speakers.segmentation_model import DEFAULT_ID as DEFAULT_SEGMENTATION
from desktop_app.speakers.segmentation_model import SegmentationModel

speakers_app = typer.Typer(help="Speaker models, voice profiles and suggestions.")
speakers_app.info.no_args_is_help = True

ProjectArg = Annotated[Path, typer.Argument(help="Project folder (NAME.jazba).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


def _summary(title: str, result: DiarizeResult) -> None:
    typer.echo(
        f"#{result.recording_id} {title}: {len(result.speakers)} speaker(s) "
        f"[speaker model: {result.model_id}]"
    )
    for sp in result.speakers:
        line = f"  {sp.name}: {fmt_time(round(sp.seconds * 1000))} of speech"
        if sp.match is not None and sp.suggestion_id is not None:
            line += (
                f"; sounds like {sp.match.name} ({sp.match.score:.2f}) — "
                f"suggestion #{sp.suggestion_id}"
            )
        elif sp.match is not None:
            line += f" (recognised, {sp.match.score:.2f})"
        typer.echo(line)
    a = result.applied
    typer.echo(
        f"  {len(result.turns)} turn(s); {a.created} segment(s) created, {a.labelled} labelled, "
        f"{a.split} split, {a.kept} kept as a person set them; "
        f"{result.wall_seconds:.1f} s (RTF {result.rtf:.3f})"
    )
    if result.segmentation_id is not None:
        secs = sum(t.end_ms - t.start_ms for t in result.overlaps) / 1000
        typer.echo(
            f"  overlaps ({result.segmentation_id}): {len(result.overlaps)} with a second "
            f"speaker, {secs:.1f} s; {a.overlaps} written to the overlap tier"
        )


@user_errors
def diarize(
    project_path: ProjectArg,
    recording: Annotated[
        list[int] | None, typer.Option("--recording", "-r", help="Recording id (repeatable).")
    ] = None,
    speakers: Annotated[
        int | None, typer.Option("--speakers", "-n", help="The number of speakers, if known.")
    ] = None,
    min_speakers: Annotated[int, typer.Option(help="At least this many speakers.")] = 1,
    max_speakers: Annotated[int, typer.Option(help="At most this many speakers.")] = 8,
    use_matches: Annotated[
        bool,
        typer.Option(
            "--use-matches", help="Label voices that match a known speaker with that speaker."
        ),
    ] = False,
    match_threshold: Annotated[
        float, typer.Option(help="Similarity above which a voice is suggested as a known one.")
    ] = MATCH_THRESHOLD,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: all cores).")] = None,
    segmentation: Annotated[
        str,
        typer.Option(
            help="Segmentation model for speech and overlaps: an installed id, 'auto' "
            "(the installed one, if any) or 'none' (one speaker at a time)."
        ),
    ] = AUTO,
    rttm: Annotated[
        Path | None,
        typer.Option(help="Also write the turns found (overlaps included) to this RTTM file."),
    ] = None,
    speaker_model: Annotated[
        str,
        typer.Option(
            help="The speaker model: 'ge2e' (offline, built in), an installed catalog model "
            "such as 'wespeaker-resnet34-lm', or 'best' for the best one installed. Voice "
            "profiles are kept per model: only profiles of this model are matched."
        ),
    ] = GE2E_ID,
    quiet: Quiet = False,
) -> None:
    """Find who spoke when and label the segments (one undo step per recording).

    Segments whose speaker a person set are never changed. Without segments, a
    recording gets one segment per speaker turn. With a segmentation model
    (see 'jazba speakers install-segmentation'), a second speaker is found
    where two people speak at once: it goes to the 'Overlap' tier.
    """
    if speakers is not None and (min_speakers != 1 or max_speakers != 8):
        raise typer.BadParameter("Give --speakers, or --min-speakers/--max-speakers, not both.")
    with open_project(project_path) as project:
        recs = RecordingService(project).list()
        chosen = [r for r in recs if not recording or r.id in recording]
        missing = set(recording or ()) - {r.id for r in chosen}
        if missing:
            raise typer.BadParameter(
                f"No recording with id {', '.join(map(str, sorted(missing)))}."
            )
        wanted = None if speaker_model == "best" else speaker_model
        model = choose_speaker_model(wanted, CliProgress("Speaker model", quiet).state())
        embedder = SpeakerEmbedder(model, threads=threads)
        segmenter = choose_segmenter(segmentation, threads)
        lines: list[str] = []
        for r in chosen:
            request = DiarizeRequest(
                r.id,
                n_speakers=speakers,
                min_speakers=min_speakers,
                max_speakers=max_speakers,
                use_matches=use_matches,
                match_threshold=match_threshold,
                threads=threads,
                segmentation=segmentation,
                speaker_model=model.id,
            )
            state = CliProgress(f"#{r.id}", quiet).state()
            result = diarize_recording(
                project, request, state, embedder=embedder, segmenter=segmenter
            )
            _summary(r.title, result)
            lines += _rttm_lines(project, r, result)
        if rttm is not None:
            rttm.write_text("".join(lines), encoding="utf-8")
            typer.echo(f"{len(lines)} turn(s) written to {rttm}")
        sugs = ProfileService(project).suggestions()
        if sugs:
            typer.echo(
                f"{len(sugs)} open suggestion(s): 'jazba speakers suggestions PROJECT', then "
                "'jazba speakers accept PROJECT ID' or 'reject'."
            )


@speakers_app.command("install-model")
@user_errors
def install_model(
    model_id: Annotated[
        str,
        typer.Argument(
            help="'ge2e' (offline, from the resemblyzer package) or a speaker model of the "
            "catalog (see 'jazba speakers models'), downloaded from Hugging Face."
        ),
    ] = GE2E_ID,
    force: Annotated[
        bool, typer.Option("--force", help="Install again even if installed.")
    ] = False,
    token: Annotated[
        str | None, typer.Option(envvar="HF_TOKEN", help="Hugging Face token, if gated.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Install a speaker model: the offline GE2E encoder, or a stronger one from the catalog."""
    from desktop_app.asr.catalog import get_entry
    from desktop_app.asr.registry import ModelRegistry
    from desktop_app.cli.models import _resumable

    found = find_speaker_model(model_id)
    if found is not None and not force:
        verify_speaker_model(found)
        typer.echo(f"Already installed: {found.name} in {found.folder}")
        return
    state = CliProgress("Speaker model", quiet).state()
    if model_id == GE2E_ID:
        model = install_speaker_model(state)
        cos = model.parity.get("min_cosine")
        typer.echo(f"Installed {model.name} in {model.folder} (parity cosine {cos})")
        return
    entry = get_entry(model_id)
    if entry.architecture != "speaker":
        raise typer.BadParameter(
            f"'{model_id}' is a transcription model; install it with 'jazba models install'."
        )
    registry = ModelRegistry()
    model = _resumable(lambda: registry.install_catalog(entry.id, state, token=token))
    typer.echo(f"Installed {model.name} in {registry.root / 'speakers' / model.id}")
    typer.echo(
        f"Licence: {entry.license}. Use it with 'jazba diarize PROJECT --speaker-model {model.id}'."
    )


@speakers_app.command("models")
@user_errors
def models() -> None:
    """Speaker models: installed ones, and those the catalog can download."""
    from desktop_app.asr.catalog import load_catalog

    installed = {m.id: m for m in list_speaker_models()}
    for m in installed.values():
        typer.echo(f"* {m.id:<24} {m.name} [{m.frontend}, {m.embedding_dim}-d, {m.license}]")
    for e in load_catalog():
        if e.architecture == "speaker" and e.id not in installed:
            typer.echo(f"  {e.id:<24} {e.name} [{e.size_text()}, {e.license}] (not installed)")
    if GE2E_ID not in installed:
        typer.echo(f"  {GE2E_ID:<24} GE2E (offline, built from the resemblyzer package)")
    typer.echo("\n* installed. Install one with 'jazba speakers install-model ID'.")


@speakers_app.command("profiles")
@user_errors
def profiles(project_path: ProjectArg) -> None:
    """How many speakers have a voice profile under each speaker model."""
    with open_project(project_path, read_only=True) as project:
        counts = ProfileService(project).models()
    if not counts:
        typer.echo("No voice profiles yet.")
    for model_id, n in sorted(counts.items()):
        typer.echo(f"{model_id}: {n} speaker(s)")


@speakers_app.command("learn-profiles")
@user_errors
def learn_profiles_cmd(
    project_path: ProjectArg,
    speaker_model: Annotated[
        str, typer.Option(help="The speaker model to teach ('best': the best installed).")
    ] = "best",
    relearn: Annotated[
        bool, typer.Option("--all", help="Also speakers that have a profile under it.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Learn voice profiles under a speaker model from the segments people labelled.

    After installing another speaker model, known speakers have no profile under
    it yet; this teaches it from their labelled segments (segments are not changed).
    """
    from desktop_app.services.profile_learning import learn_profiles

    wanted = None if speaker_model == "best" else speaker_model
    with open_project(project_path) as project:
        state = CliProgress("Learning voices", quiet).state()
        learnt = learn_profiles(project, state, wanted, only_missing=not relearn)
    typer.echo(
        f"{len(learnt.windows)} speaker(s) learnt under '{learnt.model_id}' "
        f"({sum(learnt.windows.values())} window(s))"
    )


@speakers_app.command("suggestions")
@user_errors
def suggestions(
    project_path: ProjectArg,
    recording: Annotated[int | None, typer.Option("--recording", "-r")] = None,
) -> None:
    """List open "sounds like" suggestions."""
    with open_project(project_path, read_only=True) as project:
        for s in ProfileService(project).suggestions(recording):
            typer.echo(f"#{s.id} recording {s.recording_id}: {s.text()}")


@speakers_app.command("accept")
@user_errors
def accept(project_path: ProjectArg, suggestion: int) -> None:
    """Accept a suggestion: the found speaker is merged into the known one (undoable)."""
    with open_project(project_path) as project:
        result = ProfileService(project).accept(suggestion)
        typer.echo(f"Merged: {len(result.segment_ids)} segment(s) relabelled.")


@speakers_app.command("reject")
@user_errors
def reject(project_path: ProjectArg, suggestion: int) -> None:
    """Reject a suggestion: the found speaker stays a speaker of its own."""
    with open_project(project_path) as project:
        ProfileService(project).reject(suggestion)
        typer.echo("Rejected.")


@speakers_app.command("export-profiles")
@user_errors
def export_profiles(project_path: ProjectArg, out: Path) -> None:
    """Write the project's voice profiles to a JSON file (for another project)."""
    with open_project(project_path, read_only=True) as project:
        n = ProfileService(project).export_json(out)
        typer.echo(f"{n} profile(s) written to {out}")


@speakers_app.command("import-profiles")
@user_errors
def import_profiles(project_path: ProjectArg, file: Path) -> None:
    """Add voice profiles from a JSON file to the speakers of the same name."""
    with open_project(project_path) as project:
        n = ProfileService(project).import_json(file)
        typer.echo(f"{n} profile(s) imported")


@speakers_app.command("apply-rttm")
@user_errors
def apply_rttm(
    project_path: ProjectArg,
    file: Path,
    recording: Annotated[int, typer.Option("--recording", "-r", help="The recording it labels.")],
) -> None:
    """Label a recording's segments with the speaker turns of an RTTM file (one undo step).

    Unlike 'jazba import FILE.rttm' (new empty segments per turn), this labels
    the segments already there, like 'jazba diarize', and keeps speakers a
    person set.
    """
    from desktop_app.core.interop.rttm import read_rttm
    from desktop_app.core.services.diarize_apply import SpeakerTurn, apply_turns
    from desktop_app.core.services.speakers import SpeakerService

    doc = read_rttm(file)
    with open_project(project_path) as project:
        RecordingService(project).get(recording)
        speakers = SpeakerService(project)
        ids: dict[str, int] = {}
        turns = []
        for item in doc.tiers[0].items:
            if item.speaker is None:
                continue
            if item.speaker not in ids:
                ids[item.speaker] = speakers.get_or_create(item.speaker).id
            turns.append(SpeakerTurn(item.start_ms, item.end_ms, ids[item.speaker]))
        a = apply_turns(project, recording, turns, model_id=f"rttm:{file.name}")
        typer.echo(
            f"{len(ids)} speaker(s), {len(turns)} turn(s): {a.created} segment(s) created, "
            f"{a.labelled} labelled, {a.split} split, {a.kept} kept as a person set them"
        )


def _rttm_lines(project: Project, recording: RecordingInfo, result: DiarizeResult) -> list[str]:
    """The result's turns (overlapping where two speak) as RTTM lines."""
    from desktop_app.core.interop.rttm import turn_line
    from desktop_app.core.services.speakers import SpeakerService

    names = {sp.id: sp.name for sp in SpeakerService(project).list()}
    fid = Path(recording.original_filename or recording.title).stem or recording.title
    return [
        turn_line(fid, t.start_ms, t.end_ms, names.get(t.speaker_id, str(t.speaker_id)))
        for t in result.turns
    ]


def segmentation_ids() -> set[str]:
    """Catalog ids of the segmentation models."""
    from desktop_app.asr.catalog import load_catalog

    return {e.id for e in load_catalog() if e.architecture == "segmentation"}


def install_segmentation(
    entry_id: str, state: Progress, token: str | None = None
) -> SegmentationModel:
    """Download and install a segmentation model of the catalog (resumable)."""
    from desktop_app.speakers.segmentation_model import install_segmentation_entry

    try:
        return install_segmentation_entry(entry_id, state, token=token)
    except (KeyboardInterrupt, Cancelled) as exc:
        typer.echo("\nStopped. What was downloaded is kept: run it again to continue.", err=True)
        raise typer.Exit(130) from exc


@speakers_app.command("install-segmentation")
@user_errors
def install_segmentation_cmd(
    model_id: Annotated[
        str, typer.Argument(help="A segmentation model of the catalog.")
    ] = DEFAULT_SEGMENTATION,
    force: Annotated[bool, typer.Option("--force", help="Download again if installed.")] = False,
    token: Annotated[
        str | None,
        typer.Option(envvar="HF_TOKEN", help="Hugging Face token, for gated models."),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Download a segmentation model (speech and overlapped speech, for 'jazba diarize')."""
    from desktop_app.speakers.segmentation_model import installed_segmentation_models

    if model_id not in segmentation_ids():
        known = ", ".join(sorted(segmentation_ids()))
        raise typer.BadParameter(f"No segmentation model '{model_id}' in the catalog ({known}).")
    found = [m for m in installed_segmentation_models() if m.id == model_id]
    if found and not force:
        typer.echo(f"Already installed: {found[0].name} in {found[0].folder}")
        return
    model = install_segmentation(model_id, CliProgress("Segmentation model", quiet).state(), token)
    typer.echo(f"Installed {model.name} in {model.folder} ({model.license})")
