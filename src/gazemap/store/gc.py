"""Garbage collection of blobs that no row references any more.

Blobs are written before the row that names them commits, so a crash (or a rolled
back transaction) in between leaves an orphan; deleted stimuli, erased participants
and deleted studies leave theirs on purpose, since a content-addressed blob may be
shared and is only safe to remove once nothing points to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gazemap.errors import InvalidInputError, NotFoundError
from gazemap.store.blobs.base import KEY_PATTERN, BlobStore
from gazemap.store.models import Job, Recording, Stimulus, utcnow

__all__ = ["GCReport", "collect_orphan_blobs", "referenced_blob_keys"]


@dataclass
class GCReport:
    """What a collection pass saw and did."""

    scanned: int = 0
    referenced: int = 0
    too_young: int = 0
    deleted: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    stale_uploads: int = 0


def referenced_blob_keys(session: Session) -> set[str]:
    """Every blob key a row points to: stimulus images, gaze blobs, job results.

    Parameters
    ----------
    session:
        Open session.

    Returns
    -------
    set of str
        Keys; job result keys that are not blob keys (cache keys) are left out.
    """
    keys: set[str] = set()
    keys.update(k for k in session.scalars(select(Stimulus.image_key).distinct()) if k)
    keys.update(session.scalars(select(Recording.gaze_key).distinct()))
    results = session.scalars(select(Job.result_key).where(Job.result_key.is_not(None)).distinct())
    keys.update(k for k in results if k and KEY_PATTERN.fullmatch(k))
    return keys


def collect_orphan_blobs(
    session: Session,
    blob_store: BlobStore,
    *,
    older_than: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    dry_run: bool = False,
) -> GCReport:
    """Delete blobs that no row references and that were last written before the grace period.

    Parameters
    ----------
    session:
        Open session; only read.
    blob_store:
        The store to clean.
    older_than:
        Grace period. Blobs written (or re-``put``) more recently are kept, so an
        upload whose row is not yet committed is never collected. Must be at least
        as long as the slowest upload.
    now:
        The current time (tests); default :func:`~gazemap.store.models.utcnow`.
    dry_run:
        Only report what would be deleted.

    Returns
    -------
    GCReport
        Counts and the deleted keys.

    Raises
    ------
    InvalidInputError
        If ``older_than`` is negative.

    Notes
    -----
    Candidates are listed first and the referenced keys read afterwards, and each
    candidate's time is checked again just before deletion, so a blob that an
    upload wrote or refreshed while the pass ran is kept. A blob re-``put`` and
    committed in the instant between that last check and the delete is the one
    window left; running the collector off-peak keeps it theoretical.
    """
    if older_than < timedelta(0):
        raise InvalidInputError(f"older_than must be >= 0, got {older_than}", field="older_than")
    cutoff = (now or utcnow()) - older_than
    report = GCReport()
    if not dry_run:
        report.stale_uploads = blob_store.remove_stale_uploads(before=cutoff)
    candidates = []
    for info in blob_store.iter_blobs():
        report.scanned += 1
        if info.modified_at >= cutoff:
            report.too_young += 1
        else:
            candidates.append(info)
    referenced = referenced_blob_keys(session)
    for info in candidates:
        if info.key in referenced:
            report.referenced += 1
            continue
        try:
            fresh = blob_store.stat(info.key)
        except NotFoundError:
            continue  # someone else collected it
        if fresh.modified_at >= cutoff:
            report.too_young += 1
            continue
        if not dry_run:
            blob_store.delete(info.key)
        report.deleted.append(info.key)
        report.freed_bytes += fresh.size
    return report
