"""Who may see and do what: the one place for gazemap's access rules.

Roles rank ``viewer < researcher < admin``. A global admin (and the built-in
:data:`~gazemap.service.actor.SYSTEM` actor) has the ``admin`` role in every study;
everyone else has the role of their membership, or none.

Rule for objects the caller may not see: :class:`~gazemap.errors.NotFoundError` with
exactly the message a missing id gets ("study 7 not found"), so ids cannot be probed.
Only when the caller can see the object but their role is too low do they get
:class:`~gazemap.errors.PermissionDeniedError`.

Privacy rules for heat maps live here too: viewers may not slice by who people are
(:func:`check_slice_allowed`), and nobody but an admin sees a map, comparison side or
AOI table of fewer people than the study's minimum group size *k*. That is checked
twice: before any work, on the participants whose recordings the slice selects
(:func:`check_group_size`, one SQL count), and after the time window and the validity
mask, on the participants who actually contribute points (:func:`check_contributors`),
because a narrow window can leave fewer than *k* people in a slice of more.

Raw gaze export is a permission of its own (:func:`require_export`), and viewers see
ages only as ten-year bands (:func:`age_band`, :func:`redact_age`).

Everything is imported from here; the submodules only split it by concept:
:mod:`~gazemap.service.policy.roles` (visibility and roles),
:mod:`~gazemap.service.policy.groups` (slices and group sizes),
:mod:`~gazemap.service.policy.personal` (what viewers see of a person).
"""

from gazemap.service.policy.groups import (
    check_contributor_count,
    check_contributors,
    check_group_size,
    check_slice_allowed,
    check_slice_role,
    contributors,
    enforce_contributors,
    min_group_size,
)
from gazemap.service.policy.personal import age_band, redact_age
from gazemap.service.policy.roles import (
    EXPORT_ROLES,
    Need,
    Role,
    require_admin,
    require_export,
    require_participant,
    require_recording,
    require_stimulus,
    require_study,
    study_role,
)

__all__ = [
    "EXPORT_ROLES",
    "Need",
    "Role",
    "age_band",
    "check_contributor_count",
    "check_contributors",
    "check_group_size",
    "check_slice_allowed",
    "check_slice_role",
    "contributors",
    "enforce_contributors",
    "min_group_size",
    "redact_age",
    "require_admin",
    "require_export",
    "require_participant",
    "require_recording",
    "require_stimulus",
    "require_study",
    "study_role",
]
