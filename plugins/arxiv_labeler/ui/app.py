"""The FastAPI app behind "arXiv labels": the page and the JSON it reads, for signed-in Airflow users only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from arxiv_labeler.errors import WarehouseBusyError
from arxiv_labeler.harvest.taxonomy import GROUPS
from arxiv_labeler.settings import parse_day
from arxiv_labeler.ui.queries import Filters, LabelsReader, group_shares

PAGE = Path(__file__).parent / "static" / "index.html"
DEFAULT_DAYS = 30
MAX_DAYS = 366
_MODEL_ID = re.compile(r"^[A-Za-z0-9_.:@/-]{1,200}$")


async def signed_in_user(request: Request) -> Any:
    """Airflow's own authentication: a JWT in the ``Authorization`` header or the UI's ``_token`` cookie.

    Raises:
        HTTPException: 401 without credentials, 403 with an invalid token.
    """
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user, oauth2_scheme

    return await get_user(request, await oauth2_scheme(request), await bearer_scheme(request))


def _date(name: str, value: str | None, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    try:
        return parse_day(value, f"query parameter {name}")
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def parse_filters(
    start: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query()] = None,
    model: Annotated[str | None, Query()] = None,
    group: Annotated[str | None, Query()] = None,
) -> Filters:
    """The page's query parameters, validated; a clear 400 names the bad one."""
    end = _date("until", until, dt.datetime.now(dt.UTC).date())
    first = _date("from", start, end - dt.timedelta(days=DEFAULT_DAYS - 1))
    if first > end:
        raise HTTPException(status_code=400, detail=f"from ({first}) is after until ({end})")
    if (end - first).days >= MAX_DAYS:
        raise HTTPException(status_code=400, detail=f"the range {first}..{end} is longer than {MAX_DAYS} days")
    if model is not None and model != "" and not _MODEL_ID.match(model):
        raise HTTPException(status_code=400, detail=f"query parameter model is not a model id: {model[:80]!r}")
    if group is not None and group != "" and group not in GROUPS and group != "unclassified":
        raise HTTPException(status_code=400, detail=f"query parameter group must be one of {', '.join(GROUPS)}, got {group!r}")
    return Filters(first, end, model or None, group or None)


def create_app(warehouse_url: Callable[[], str] | None = None) -> FastAPI:
    """The app; ``warehouse_url`` returns the warehouse to read (default: the DAG's, from its connection)."""
    app = FastAPI(title="arXiv labels", docs_url=None, redoc_url=None, openapi_url=None)

    def reader() -> LabelsReader:
        if warehouse_url is not None:
            return LabelsReader(warehouse_url())
        from arxiv_labeler.hooks.warehouse import WarehouseHook

        return LabelsReader(WarehouseHook().get_url())

    @app.exception_handler(WarehouseBusyError)
    async def busy(request: Request, exc: WarehouseBusyError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "5"})

    @app.get("/", response_class=HTMLResponse, dependencies=[Depends(signed_in_user)])
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    @app.get("/api/summary", dependencies=[Depends(signed_in_user)])
    def summary(filters: Annotated[Filters, Depends(parse_filters)]) -> dict[str, Any]:
        labels = reader()
        per_day = labels.labels_per_day(filters)
        return {
            "from": filters.start.isoformat(),
            "until": filters.end.isoformat(),
            "model": filters.model_id,
            "group": filters.group,
            "papers": sum(int(r["papers"]) for r in per_day),
            "per_day": [{**r, "day": str(r["day"]), "papers": int(r["papers"])} for r in per_day],
            "shares": group_shares(per_day),
            "models": [{**m, "papers": int(m["papers"]), "last_labeled": str(m["last_labeled"])} for m in labels.models(filters)],
            "runs": [
                {
                    **r,
                    "interval_start": str(r["interval_start"]),
                    "interval_end": str(r["interval_end"]),
                    "finished_at": str(r["finished_at"]),
                }
                for r in labels.runs(filters)
            ],
        }

    return app
