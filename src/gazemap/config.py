"""gazemap's settings: one pydantic-settings class, read from ``GAZEMAP_*`` variables.

Top-level fields use ``GAZEMAP_<NAME>`` (``GAZEMAP_HOME``, ``GAZEMAP_DATABASE_URL``,
``GAZEMAP_REDIS_URL``, …); nested sections use a double underscore
(``GAZEMAP_KDE__MAX_CELLS``, ``GAZEMAP_SECURITY__SECRET_KEY``). Nothing is read at
import: call :func:`get_settings` (cached) or build ``Settings(...)`` yourself, as the
tests do.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "AuditSettings",
    "CacheSettings",
    "DatabaseSettings",
    "JobSettings",
    "KDESettings",
    "SecuritySettings",
    "Settings",
    "get_settings",
]

DEFAULT_SECRET = "change-me-insecure-development-secret"  # noqa: S105 (refused in production)


class KDESettings(BaseModel):
    """Limits of the heat-map engine."""

    max_cells: int = Field(
        default=16_000_000,
        gt=0,
        description="Largest grid (rows × cols) a request may ask for; larger grids are refused with 422.",
    )
    max_points: int = Field(
        default=50_000_000, gt=0, description="Largest number of points one heat map may use."
    )


class CacheSettings(BaseModel):
    """Heat-map cache tiers."""

    memory_bytes: int = Field(
        default=256 * 2**20, ge=0, description="Memory LRU size in bytes; 0 disables it."
    )
    disk_bytes: int = Field(
        default=2 * 2**30, ge=0, description="Disk cache size in bytes; 0 disables it."
    )
    disk_path: Path | None = Field(
        default=None, description="Disk cache folder; default $GAZEMAP_HOME/cache."
    )
    redis_ttl_seconds: int = Field(
        default=7 * 24 * 3600, gt=0, description="Expiry of entries in Redis."
    )
    redis_prefix: str = Field(
        default="gazemap:cache:",
        min_length=1,
        description="Prefix of every Redis cache key. Give each deployment sharing one Redis its own.",
    )
    array_cache_bytes: int = Field(
        default=512 * 2**20, ge=0, description="In-process cache of decoded gaze arrays, in bytes."
    )


class JobSettings(BaseModel):
    """Background work."""

    backend: Literal["local", "celery"] = Field(
        default="local",
        description="'local' runs jobs in a thread pool in the API process; 'celery' sends them to workers.",
    )
    local_workers: int = Field(default=2, gt=0, description="Threads of the local job pool.")
    async_cost_threshold: float = Field(
        default=5e8,
        gt=0,
        description="Estimated cost (points × kernel cells, or grid FFT work) above which a heat map becomes a job.",
    )
    visibility_timeout_seconds: int = Field(
        default=6 * 3600,
        gt=0,
        description=(
            "Celery backend: seconds Redis waits for a job's acknowledgement (sent when the job "
            "ends) before it hands the message to another worker. Must exceed the longest job, "
            "any worker time limit and the longest retry delay (120 s; shorter values are "
            "refused at start): a job still running, or waiting to retry, when it expires is "
            "delivered again and runs twice at once."
        ),
    )


class SecuritySettings(BaseModel):
    """Authentication and privacy."""

    secret_key: str = Field(
        default=DEFAULT_SECRET,
        description="Signs JWTs (HS256). Set a long random value in production.",
    )
    pseudonym_key: str = Field(
        default=DEFAULT_SECRET,
        description="HMAC key for participant pseudonyms. Set a long random value in production.",
    )
    access_token_minutes: int = Field(default=15, gt=0)
    refresh_token_days: int = Field(default=14, gt=0)
    min_group_size: int = Field(
        default=5, ge=1, description="Default minimum distinct participants in a slice."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Allowed CORS origins; empty means closed."
    )
    jwt_algorithm: Literal["HS256", "RS256"] = Field(
        default="HS256",
        description="HS256 signs with secret_key; RS256 with private_key_file, checked with public_key_file.",
    )
    private_key_file: Path | None = Field(
        default=None, description="PEM RSA private key (RS256 only; signs tokens)."
    )
    public_key_file: Path | None = Field(
        default=None, description="PEM RSA public key (RS256 only; verifies tokens)."
    )
    login_attempts_per_account: int = Field(
        default=10, ge=1, description="Sign-in attempts per username per login window."
    )
    login_attempts_per_ip: int = Field(
        default=50, ge=1, description="Sign-in attempts per client address per login window."
    )
    login_window_seconds: int = Field(default=300, gt=0, description="Sliding login window.")
    hsts_seconds: int = Field(
        default=31_536_000, ge=0, description="HSTS max-age on HTTPS answers; 0 sends none."
    )


class DatabaseSettings(BaseModel):
    """Connection pool of a PostgreSQL database (``GAZEMAP_DB__*``); SQLite ignores it."""

    pool_size: int = Field(
        default=20,
        gt=0,
        description="Connections kept open per process. Size it to the concurrent requests "
        "one instance serves (its thread pool); PostgreSQL's max_connections must cover "
        "instances × (pool_size + max_overflow).",
    )
    max_overflow: int = Field(
        default=10, ge=0, description="Extra connections opened under bursts, closed after."
    )
    pool_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long a request waits for a free connection."
    )
    ping_after_idle_seconds: float = Field(
        default=1.0,
        ge=0,
        description="A pooled connection idle for longer is pinged before use, so a restarted "
        "server costs a reconnect, not an error; 0 pings at every checkout. Busy connections "
        "skip the round trip.",
    )


class AuditSettings(BaseModel):
    """How audit entries of reads reach the database (``GAZEMAP_AUDIT__*``)."""

    flush_seconds: float = Field(
        default=0.2,
        ge=0,
        description="Entries of successful reads (heat maps, comparisons, AOI metrics) are "
        "appended to a local journal file before the answer and inserted in batches at "
        "most this late; 0 inserts each one synchronously. Changes and refusals are always "
        "written in their own transaction.",
    )
    journal_path: Path | None = Field(
        default=None,
        description="Folder of the audit journal; default $GAZEMAP_HOME/audit-journal.",
    )
    max_pending: int = Field(
        default=100_000,
        gt=0,
        description="Entries waiting for the database at most (e.g. while it is down); "
        "beyond that, audited reads fail instead of going unaudited.",
    )
    fsync: bool = Field(
        default=False,
        description="fsync the journal after each entry: survives a power loss, not only a "
        "process crash, at the cost of a disk flush per read.",
    )


class Settings(BaseSettings):
    """Every setting gazemap reads. See the module docstring for the variable names."""

    model_config = SettingsConfigDict(
        env_prefix="GAZEMAP_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="'production' refuses default or short secrets."
    )
    home: Path = Field(
        default=Path("./var"),
        description="Holds the SQLite database, blobs and disk cache by default.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///$GAZEMAP_HOME/gazemap.db."
    )
    blob_url: str | None = Field(
        default=None,
        description="Blob store: a folder path or file:// URL, or s3://bucket/prefix. Default $GAZEMAP_HOME/blobs.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of an S3-compatible store (MinIO, Ceph, …)."
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for the shared cache and the Celery broker; unset = no Redis.",
    )
    log_format: Literal["json", "console"] = Field(default="console")
    log_level: str = Field(default="INFO")
    max_upload_bytes: int = Field(default=512 * 2**20, gt=0, description="Largest accepted upload.")
    max_image_pixels: int = Field(
        default=60_000_000, gt=0, description="Largest stimulus image (decompression-bomb guard)."
    )

    kde: KDESettings = Field(default_factory=KDESettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            for name in ("secret_key", "pseudonym_key"):
                value = getattr(self.security, name)
                if value == DEFAULT_SECRET or len(value) < 32:
                    raise ValueError(
                        f"GAZEMAP_SECURITY__{name.upper()} must be set to a random value of at least "
                        "32 characters in production"
                    )
        if self.security.jwt_algorithm == "RS256" and not (
            self.security.private_key_file and self.security.public_key_file
        ):
            raise ValueError(
                "GAZEMAP_SECURITY__JWT_ALGORITHM=RS256 needs GAZEMAP_SECURITY__PRIVATE_KEY_FILE "
                "and GAZEMAP_SECURITY__PUBLIC_KEY_FILE"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'gazemap.db').resolve()}"

    @property
    def resolved_blob_url(self) -> str:
        """The blob store location, defaulting to ``home/blobs``."""
        return self.blob_url or str((self.home / "blobs").resolve())

    @property
    def resolved_audit_journal(self) -> Path:
        """The audit journal folder, defaulting to ``home/audit-journal``."""
        return self.audit.journal_path or (self.home / "audit-journal")

    @property
    def resolved_cache_path(self) -> Path:
        """The disk cache folder, defaulting to ``home/cache``."""
        return self.cache.disk_path or (self.home / "cache")


@functools.cache
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
