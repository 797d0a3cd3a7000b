"""Use cases (ingest, build heat map, compare, AOI metrics, erase participant). Knows no HTTP.

Every function takes a :class:`ServiceContext` and an :class:`Actor`, checks access with
:mod:`gazemap.service.policy` first, and returns pydantic models from
:mod:`gazemap.service.schemas` (never ORM rows). The names below are imported lazily
on first use, so ``import gazemap.service`` (and the light modules ``actor``,
``params``) stay cheap for the CLI. ``compare`` is the one use case not exported here:
the submodule of the same name would shadow it; import it from
:mod:`gazemap.service.compare`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gazemap.service.accounts import (
        authenticate,
        create_user,
        get_actor,
        list_users,
        set_password,
        update_user,
    )
    from gazemap.service.actor import SYSTEM, Actor
    from gazemap.service.aoi import AOI, AOIMetricsOut, aoi_metrics
    from gazemap.service.audit import list_audit, record_audit
    from gazemap.service.compare import CompareResult
    from gazemap.service.context import ServiceContext
    from gazemap.service.heatmaps import HeatmapResult, build_heatmap, estimate_cost
    from gazemap.service.params import HeatmapParams, RenderOptions
    from gazemap.service.participants import (
        erase_participant,
        find_participant,
        get_participant,
        list_participants,
        pseudonymise,
    )
    from gazemap.service.recordings import (
        delete_recording,
        export_recording,
        get_recording,
        ingest_recordings,
        list_recordings,
    )
    from gazemap.service.schemas import (
        AuditOut,
        IngestResult,
        MemberOut,
        Page,
        ParticipantOut,
        RecordingOut,
        StimulusOut,
        StudyOut,
        UserOut,
    )
    from gazemap.service.stimuli import (
        delete_stimulus,
        get_stimulus,
        ingest_stimulus,
        list_stimuli,
        stimulus_image,
    )
    from gazemap.service.studies import (
        add_member,
        create_study,
        delete_study,
        get_study,
        list_members,
        list_studies,
        remove_member,
        update_study,
    )

_EXPORTS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "authenticate", "create_user", "get_actor", "list_users", "set_password", "update_user",
    ),
    "actor": ("SYSTEM", "Actor"),
    "aoi": ("AOI", "AOIMetricsOut", "aoi_metrics"),
    "audit": ("list_audit", "record_audit"),
    # not the function ``compare``: the submodule of that name would shadow it
    "compare": ("CompareResult",),
    "context": ("ServiceContext",),
    "heatmaps": ("HeatmapResult", "build_heatmap", "estimate_cost"),
    "params": ("HeatmapParams", "RenderOptions"),
    "participants": (
        "erase_participant", "find_participant", "get_participant", "list_participants",
        "pseudonymise",
    ),
    "recordings": (
        "delete_recording", "export_recording", "get_recording", "ingest_recordings",
        "list_recordings",
    ),
    "schemas": (
        "AuditOut", "IngestResult", "MemberOut", "Page", "ParticipantOut", "RecordingOut",
        "StimulusOut", "StudyOut", "UserOut",
    ),
    "stimuli": (
        "delete_stimulus", "get_stimulus", "ingest_stimulus", "list_stimuli", "stimulus_image",
    ),
    "studies": (
        "add_member", "create_study", "delete_study", "get_study", "list_members",
        "list_studies", "remove_member", "update_study",
    ),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "AOI",
    "SYSTEM",
    "AOIMetricsOut",
    "Actor",
    "AuditOut",
    "CompareResult",
    "HeatmapParams",
    "HeatmapResult",
    "IngestResult",
    "MemberOut",
    "Page",
    "ParticipantOut",
    "RecordingOut",
    "RenderOptions",
    "ServiceContext",
    "StimulusOut",
    "StudyOut",
    "UserOut",
    "add_member",
    "aoi_metrics",
    "authenticate",
    "build_heatmap",
    "create_study",
    "create_user",
    "delete_recording",
    "delete_stimulus",
    "delete_study",
    "erase_participant",
    "estimate_cost",
    "export_recording",
    "find_participant",
    "get_actor",
    "get_participant",
    "get_recording",
    "get_stimulus",
    "get_study",
    "ingest_recordings",
    "ingest_stimulus",
    "list_audit",
    "list_members",
    "list_participants",
    "list_recordings",
    "list_stimuli",
    "list_studies",
    "list_users",
    "pseudonymise",
    "record_audit",
    "remove_member",
    "set_password",
    "stimulus_image",
    "update_study",
    "update_user",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'gazemap.service' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gazemap.service.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
