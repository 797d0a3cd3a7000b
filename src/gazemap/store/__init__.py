"""Persistence: SQLAlchemy models, Alembic migrations, blob stores (folder, S3).

The pieces, each in its own module:

- :mod:`~gazemap.store.models` — the tables (``Base.metadata``).
- :mod:`~gazemap.store.engine` — :func:`create_engine_for`, :func:`make_session_factory`.
- :mod:`~gazemap.store.migrate` — :func:`~gazemap.store.migrate.upgrade` for
  ``gazemap db upgrade`` (imported on use: it loads Alembic).
- :mod:`~gazemap.store.blobs` — :class:`BlobStore`, folder and S3 backends,
  :func:`build_blob_store`.
- :mod:`~gazemap.store.codec` — the gaze blob format.
- :mod:`~gazemap.store.slices`, :mod:`~gazemap.store.queries` — :class:`Slice` and the
  slice queries.
- :mod:`~gazemap.store.gc` — :func:`collect_orphan_blobs`.

Nothing is connected at import; callers build engines and stores from settings.
"""

from gazemap.store.blobs import (
    BlobInfo,
    BlobStore,
    FolderBlobStore,
    MemoryBlobStore,
    S3BlobStore,
    blob_store_from_url,
    build_blob_store,
)
from gazemap.store.codec import decode_recording, decode_recording_arrays, encode_recording_arrays
from gazemap.store.engine import create_engine_for, engine_from_settings, make_session_factory
from gazemap.store.gc import GCReport, collect_orphan_blobs
from gazemap.store.models import (
    AuditEvent,
    Base,
    Job,
    Membership,
    Participant,
    Recording,
    RefreshToken,
    Stimulus,
    Study,
    User,
)
from gazemap.store.queries import (
    bump_data_versions,
    count_participants,
    recordings_statement,
    select_recordings,
)
from gazemap.store.slices import Slice

__all__ = [
    "AuditEvent",
    "Base",
    "BlobInfo",
    "BlobStore",
    "FolderBlobStore",
    "GCReport",
    "Job",
    "Membership",
    "MemoryBlobStore",
    "Participant",
    "Recording",
    "RefreshToken",
    "S3BlobStore",
    "Slice",
    "Stimulus",
    "Study",
    "User",
    "blob_store_from_url",
    "build_blob_store",
    "bump_data_versions",
    "collect_orphan_blobs",
    "count_participants",
    "create_engine_for",
    "decode_recording",
    "decode_recording_arrays",
    "encode_recording_arrays",
    "engine_from_settings",
    "make_session_factory",
    "recordings_statement",
    "select_recordings",
]
