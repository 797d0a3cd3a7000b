"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from gazemap.api.deps import ContextDep
from gazemap.api.readiness import check_readiness
from gazemap.api.schemas import Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """Answer 200 while the process is up (it checks nothing else)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is unreachable."}},
)
def readyz(ctx: ContextDep) -> JSONResponse:
    """Answer 200 when the database, the blob store and Redis (if configured) answer, else 503 naming the failed check."""
    result = check_readiness(ctx)
    code = status.HTTP_200_OK if result.status == "ok" else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(result.model_dump(), status_code=code)
