"""Write-behind audit entries for reads, through a crash-safe local journal.

A successful read (heat map, comparison, AOI metrics) must not be answered unaudited, but
inserting its entry in the request costs about half of a cached heat map's database work.
:class:`AuditJournal` makes the entry durable first and inserts it a little later:

1. :meth:`AuditJournal.submit` appends the entry as one JSON line to the writer's current
   segment file with a single ``os.write`` (optionally ``fsync``) and keeps it in memory.
   Once ``os.write`` returned the entry survives a crash of the process (it is in the
   kernel's page cache); a power loss can lose it unless ``fsync`` is on. If the line
   cannot be written, or too many entries wait, ``submit`` raises
   :class:`~gazemap.errors.AuditUnavailableError` and the read fails.
2. A daemon thread wakes every ``flush_seconds`` (sooner when :data:`WAKE_AT` wait), seals
   the segment, resolves the studies of the batch with one query per id kind and inserts
   the rows with ``INSERT ... ON CONFLICT (journal_key) DO NOTHING`` in one transaction.
   After the commit the sealed segments are deleted. On a database error the entries and
   segments are kept and retried, backing off up to :data:`MAX_BACKOFF` seconds.
3. Every journal holds an exclusive ``flock`` on ``<writer>.lock`` in the folder and names
   its segments ``<writer>-<seq:08d>.jsonl``. When a journal starts it tries to lock every
   other ``*.lock`` of the folder; each one it gets belonged to a dead writer, whose
   segments it replays (a torn last line is skipped and counted) through the same insert.
   ``ON CONFLICT DO NOTHING`` makes a replay after a crash between commit and delete
   harmless, so several processes may share one folder.

Entries are plain dicts: ``user_id``, ``action``, ``target``, ``parameters``, ``outcome``,
``request_id``, ``refs`` (the ``study_id``/``stimulus_id``/``recording_id``/
``participant_id`` arguments of the call, to find the study) and, stamped by ``submit``,
``at`` (ISO 8601, UTC) and ``journal_key`` (uuid4 hex).

The package splits this by concept: :mod:`.journal` holds :class:`AuditJournal` (submit,
the flusher thread, flush, close, recover), :mod:`.segments` the files on disk (lock and
segment files, reading them back, claiming dead writers' files) and :mod:`.entries` the
checks an entry must pass and the rows it becomes.
"""

from gazemap.service.audit_journal.entries import STUDY_REFS
from gazemap.service.audit_journal.journal import MAX_BACKOFF, WAKE_AT, AuditJournal
from gazemap.service.audit_journal.segments import segments_in

__all__ = ["MAX_BACKOFF", "STUDY_REFS", "WAKE_AT", "AuditJournal", "segments_in"]
