"""Loading data: ``gazemap demo`` (a ready-to-use instance) and ``gazemap import`` (gaze files).

Both go through the service functions (``create_study``, ``ingest_stimulus``,
``ingest_recordings``) as the built-in :data:`~gazemap.service.actor.SYSTEM` actor, so
the rules, the cleaning and the audit log are the same as for uploads through the API.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gazemap.cli.base import app, load_settings, progress_bar, service_context, user_errors
from gazemap.cli.users import new_password

if TYPE_CHECKING:
    from gazemap.service.context import ServiceContext
    from gazemap.service.schemas import StudyOut

__all__ = [
    "DEMO_ADMIN",
    "DEMO_SCREEN",
    "DEMO_STUDY",
    "demo",
    "ensure_demo",
    "format_report",
    "import_files",
]

#: Login of the administrator ``gazemap demo`` creates.
DEMO_ADMIN = "admin"
#: Name of the demo study (also how a second run finds it).
DEMO_STUDY = "Demo: OSIE free viewing"
#: Screen geometry of the demo study. The OSIE images are 800 × 600 px and their
#: fixations are in image pixels, so the screen is taken as the image (identity mapping).
#: The physical size keeps gazemap's default pixel pitch (0.277 mm, a 24-inch
#: 1920-px monitor) and a 60 cm viewing distance; these are assumptions for degree
#: units, not OSIE's published set-up.
DEMO_SCREEN: dict[str, Any] = {
    "width_px": 800,
    "height_px": 600,
    "width_mm": 221.0,
    "height_mm": 166.0,
    "distance_mm": 600.0,
}


def format_report(report: dict[str, Any]) -> str:
    """A cleaning report (``CleaningReport.to_dict()``) as a few lines for the terminal.

    Examples
    --------
    >>> print(format_report({"rows_in": 10, "rows_kept": 8, "rows_dropped": 2,
    ...                      "dropped": {"nan": 2}, "repaired": {}, "notes": ["one note"]}))
    rows: 10 read, 8 kept, 2 dropped
      dropped nan: 2
      note: one note
    """
    lines = [
        f"rows: {report.get('rows_in', 0):,} read, {report.get('rows_kept', 0):,} kept, "
        f"{report.get('rows_dropped', 0):,} dropped"
    ]
    lines += [f"  dropped {k}: {v:,}" for k, v in (report.get("dropped") or {}).items()]
    lines += [f"  repaired {k}: {v:,}" for k, v in (report.get("repaired") or {}).items()]
    notes = report.get("notes") or []
    for note in dict.fromkeys(notes):  # one line per distinct note, in order
        times = notes.count(note)
        lines.append(f"  note: {note}" + (f" (x{times})" if times > 1 else ""))
    return "\n".join(lines)


@app.command("import")
def import_files(
    files: Annotated[
        list[Path], typer.Argument(help="Gaze files (CSV, TSV, JSON or a vendor export).")
    ],
    stimulus: Annotated[int, typer.Option("--stimulus", help="Id of the target stimulus.")],
    input_format: Annotated[
        str, typer.Option("--format", help="Input format name, or 'auto' to detect it.")
    ] = "auto",
    participant: Annotated[
        str | None,
        typer.Option(help="Participant id for every recording (files without one, e.g. ASC)."),
    ] = None,
    gender: Annotated[str | None, typer.Option(help="Gender of the participant(s).")] = None,
    age: Annotated[int | None, typer.Option(help="Age in years of the participant(s).")] = None,
    device: Annotated[str | None, typer.Option(help="Tracker model, overriding the file's.")] = (
        None
    ),
    skip_other_stimuli: Annotated[
        bool,
        typer.Option(
            "--skip-other-stimuli",
            help="Skip recordings the file says were made on another stimulus (default: refuse the file).",
        ),
    ] = False,
) -> None:
    """Import gaze files onto one stimulus and print what cleaning did.

    Each file is one transaction: a file that fails leaves nothing behind, and the
    files before it stay imported.
    """
    from gazemap.service.actor import SYSTEM
    from gazemap.service.recordings import ingest_recordings

    with user_errors(), service_context() as ctx, progress_bar(enabled=True) as bar:
        task = bar.add_task("importing", total=len(files))
        for path in files:
            bar.update(task, description=f"importing {path.name}")
            result = ingest_recordings(
                ctx,
                actor=SYSTEM,
                stimulus_id=stimulus,
                path=path,
                format=input_format,
                participant=participant,
                gender=gender,
                age=age,
                device=device,
                other_stimuli="skip" if skip_other_stimuli else "reject",
            )
            bar.advance(task)
            n = len(result.recordings)
            typer.echo(f"{path}: {n} recording{'s' if n != 1 else ''} imported")
            typer.echo(format_report(result.report))


def _find_study(ctx: ServiceContext, name: str) -> StudyOut | None:
    from gazemap.service.actor import SYSTEM
    from gazemap.service.studies import list_studies

    offset = 0
    while True:
        page = list_studies(ctx, actor=SYSTEM, limit=500, offset=offset)
        for study in page.items:
            if study.name == name:
                return study
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return None


def ensure_demo(ctx: ServiceContext, *, echo: Any = typer.echo) -> int:
    """Create the demo study and load the bundled demo data, skipping what exists.

    Parameters
    ----------
    ctx:
        Service context on a migrated database.
    echo:
        Where progress lines go.

    Returns
    -------
    int
        The demo study's id.
    """
    from gazemap.demo import demo_stimuli
    from gazemap.service.actor import SYSTEM
    from gazemap.service.recordings import ingest_recordings
    from gazemap.service.stimuli import ingest_stimulus, list_stimuli
    from gazemap.service.studies import create_study

    study = _find_study(ctx, DEMO_STUDY)
    if study is None:
        study = create_study(
            ctx,
            actor=SYSTEM,
            name=DEMO_STUDY,
            description="Four OSIE images and the fixations of 15 people on each "
            "(Xu et al., Journal of Vision 2014; MIT licence).",
            screen=DEMO_SCREEN,
        )
        echo(f"created study {study.id} {study.name!r}")
    stimuli = demo_stimuli()
    with progress_bar(enabled=True) as bar:
        task = bar.add_task("loading the demo data", total=len(stimuli))
        for item in stimuli:
            bar.update(task, description=f"loading {item.name}")
            found = list_stimuli(ctx, actor=SYSTEM, study_id=study.id, page_key=item.name)
            if found.items:
                stimulus = found.items[0]
            else:
                stimulus = ingest_stimulus(
                    ctx,
                    actor=SYSTEM,
                    study_id=study.id,
                    image=item.image_path.read_bytes(),
                    name=item.name,
                    page_key=item.name,
                )
            if stimulus.recording_count == 0:
                result = ingest_recordings(
                    ctx,
                    actor=SYSTEM,
                    stimulus_id=stimulus.id,
                    path=item.fixations_csv_path,
                    device="OSIE (EyeLink 1000)",
                )
                echo(
                    f"stimulus {stimulus.id} {item.name}: {len(result.recordings)} recordings, "
                    f"{result.report['rows_kept']} fixations"
                )
            else:
                echo(f"stimulus {stimulus.id} {item.name}: already loaded")
            bar.advance(task)
    return study.id


@app.command()
def demo() -> None:
    """Set up a ready-to-use instance: migrations, an admin login and the demo study.

    Safe to run again: nothing is duplicated, and the admin's password is printed only
    when this run created the account.
    """
    from gazemap.errors import ConflictError
    from gazemap.service.accounts import create_user
    from gazemap.store.migrate import upgrade

    with user_errors():
        settings = load_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        upgrade(settings.resolved_database_url)
        with service_context(settings) as ctx:
            password = new_password(prompt=False) or secrets.token_urlsafe(12)
            try:
                create_user(ctx, username=DEMO_ADMIN, password=password, role="admin")
                created = True
            except ConflictError:
                created = False
            study_id = ensure_demo(ctx)
    typer.echo(f"demo study id {study_id}; data under {settings.home.resolve()}")
    if created:
        typer.echo(f"login: {DEMO_ADMIN} / {password}")
    else:
        typer.echo(
            f"admin user {DEMO_ADMIN!r} exists; its password was not changed "
            f"(it was printed when {DEMO_ADMIN!r} was created)"
        )
