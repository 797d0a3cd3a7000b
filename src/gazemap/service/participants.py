"""Pseudonymous participants: keyed pseudonyms, listing, and erasure on request.

The participant id found in an uploaded file (``"P07"``, a name, an e-mail address)
never reaches the database or the logs: it is replaced by
``HMAC-SHA256(settings.security.pseudonym_key, "<study id>:<external id>")`` at
ingest. The same person gets the same pseudonym in one study and unrelated
pseudonyms in two studies; without the key, pseudonyms cannot be reversed or
recomputed from a guessed id.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gazemap.errors import InvalidInputError, NotFoundError
from gazemap.service.actor import Actor
from gazemap.service.audit import record_audit
from gazemap.service.auditing import audit_refusals
from gazemap.service.blob_io import delete_blobs
from gazemap.service.context import ServiceContext
from gazemap.service.paging import check_page
from gazemap.service.policy import require_admin, require_participant, require_study
from gazemap.service.schemas import Page, ParticipantOut
from gazemap.store.models import Participant, Recording, Stimulus

__all__ = [
    "erase_participant",
    "find_participant",
    "get_participant",
    "list_participants",
    "pseudonymise",
]


def pseudonymise(key: str, study_id: int, external_id: str) -> str:
    """The pseudonym of participant ``external_id`` in study ``study_id``.

    Parameters
    ----------
    key:
        The secret HMAC key (``settings.security.pseudonym_key``).
    study_id:
        Study id; part of the message so pseudonyms do not link across studies.
    external_id:
        The participant id as found in the file; surrounding whitespace is ignored.

    Returns
    -------
    str
        64 lowercase hex digits.

    Raises
    ------
    InvalidInputError
        For an empty key or external id.

    Examples
    --------
    >>> p = pseudonymise("secret", 1, "P07")
    >>> len(p), p == pseudonymise("secret", 1, " P07 "), p == pseudonymise("secret", 2, "P07")
    (64, True, False)
    """
    if not key:
        raise InvalidInputError("pseudonym key must not be empty", field="pseudonym_key")
    ident = str(external_id).strip()
    if not ident:
        raise InvalidInputError("participant id must not be empty", field="participant")
    message = f"{int(study_id)}:{ident}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _outs(session: Session, participants: list[Participant]) -> list[ParticipantOut]:
    ids = [p.id for p in participants]
    counts: dict[int, int] = {}
    if ids:
        rows = session.execute(
            select(Recording.participant_id, func.count(Recording.id))
            .where(Recording.participant_id.in_(ids))
            .group_by(Recording.participant_id)
        ).all()
        counts = {int(p): int(n) for p, n in rows}
    return [
        ParticipantOut.model_validate(p).model_copy(update={"recording_count": counts.get(p.id, 0)})
        for p in participants
    ]


def list_participants(
    ctx: ServiceContext, *, actor: Actor, study_id: int, limit: int = 50, offset: int = 0
) -> Page[ParticipantOut]:
    """Participants of a study with their recording counts (researchers).

    Viewers may not list participants: attributes are personal data.
    """
    check_page(limit, offset)
    with ctx.session() as session:
        require_study(session, actor, study_id, need="researcher")
        total = session.scalar(
            select(func.count()).select_from(Participant).where(Participant.study_id == study_id)
        )
        rows = session.scalars(
            select(Participant)
            .where(Participant.study_id == study_id)
            .order_by(Participant.id)
            .limit(limit)
            .offset(offset)
        ).all()
        items = _outs(session, list(rows))
    return Page[ParticipantOut](items=items, total=int(total or 0), limit=limit, offset=offset)


def get_participant(ctx: ServiceContext, *, actor: Actor, participant_id: int) -> ParticipantOut:
    """One participant (researchers)."""
    with ctx.session() as session:
        participant = require_participant(session, actor, participant_id, need="researcher")
        return _outs(session, [participant])[0]


def find_participant(
    ctx: ServiceContext, *, actor: Actor, study_id: int, external_id: str
) -> ParticipantOut:
    """The participant whose file id is ``external_id`` (researchers), e.g. for erasure.

    Raises
    ------
    NotFoundError
        When no participant of the study has that id (the id is not echoed).
    """
    pseudonym = pseudonymise(ctx.settings.security.pseudonym_key, study_id, external_id)
    with ctx.session() as session:
        require_study(session, actor, study_id, need="researcher")
        participant = session.scalar(
            select(Participant).where(
                Participant.study_id == study_id, Participant.pseudonym == pseudonym
            )
        )
        if participant is None:
            raise NotFoundError(f"study {study_id} has no participant with that id")
        return _outs(session, [participant])[0]


@audit_refusals("participant.erase", target="participant:{participant_id}")
def erase_participant(ctx: ServiceContext, *, actor: Actor, participant_id: int) -> int:
    """Erase a participant and every recording of theirs (admins; GDPR art. 17).

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        Must be a global admin.
    participant_id:
        Participant to erase.

    Returns
    -------
    int
        Number of recordings deleted.

    Raises
    ------
    PermissionDeniedError
        For non-admins.
    NotFoundError
        When the participant does not exist.

    Notes
    -----
    In one transaction: the participant row and its recordings are deleted, and the
    ``data_version`` of every stimulus they had recordings on is bumped, so no cached
    heat map that included them is served again. After the commit their gaze blobs
    are deleted unless another recording still references the same content. The audit
    entry holds the participant's row id, the counts and the stimulus ids, never the
    pseudonym or any attribute.
    """
    with ctx.session() as session:
        # visibility first: a participant of a study the caller cannot see is a 404
        participant = require_participant(session, actor, participant_id, need="viewer")
        require_admin(actor, action="erase participants")
        study_id = participant.study_id
        rows = session.execute(
            select(Recording.stimulus_id, Recording.gaze_key).where(
                Recording.participant_id == participant_id
            )
        ).all()
        stimulus_ids = sorted({int(s) for s, _ in rows})
        keys = {str(k) for _, k in rows}
        session.delete(participant)  # recordings go by ON DELETE CASCADE
        session.flush()
        if stimulus_ids:
            session.execute(
                update(Stimulus)
                .where(Stimulus.id.in_(stimulus_ids))
                .values(data_version=Stimulus.data_version + 1)
                .execution_options(synchronize_session=False)
            )
        record_audit(
            session,
            actor=actor,
            action="participant.erase",
            study_id=study_id,
            target=f"participant:{participant_id}",
            parameters={"recordings": len(rows), "stimuli": stimulus_ids},
        )
    with ctx.session() as session:
        still_used = set(
            session.scalars(select(Recording.gaze_key).where(Recording.gaze_key.in_(keys)))
        )
    delete_blobs(ctx, keys - still_used)  # what cannot go now is left to GC
    return len(rows)
