"""The FastAPI app behind "arXiv labels": the page and the JSON it reads, for signed-in Airflow users only.

Every route validates its query parameters itself (:mod:`arxiv_labeler.ui.params`): an unknown, repeated or bad
one is a 400 naming it. The warehouse is only ever read, through :class:`WarehouseReader`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from arxiv_labeler.ui import params as p
from arxiv_labeler.ui.compare import compare_page
from arxiv_labeler.ui.export import EXPORT_BATCH_ROWS, csv_chunks, parquet_chunks
from arxiv_labeler.ui.papers import ORDERS, SORTS, CursorError, PageCursor, PaperQuery, iter_list_rows, list_papers, paper_detail
from arxiv_labeler.ui.queries import Filters, known_labels, models, summary
from arxiv_labeler.ui.reader import ReadSession, WarehouseReader, WarehouseUnavailableError

PAGE = Path(__file__).parent / "static" / "index.html"
SUMMARY_PARAMS = ("from", "until", "model", "group")
FILTER_PARAMS = ("from", "until", "model", "label", "category", "q", "sort", "order")
LIST_PARAMS = (*FILTER_PARAMS, "limit", "after")
COMPARE_PARAMS = ("from", "until", "model_a", "model_b", "limit", "offset")
MAX_COMPARE_OFFSET = 10_000_000
EXPORT_TYPES = {"csv": ("text/csv; charset=utf-8", csv_chunks), "parquet": ("application/vnd.apache.parquet", parquet_chunks)}


async def signed_in_user(request: Request) -> Any:
    """Airflow's own authentication: a JWT in the ``Authorization`` header or the UI's ``_token`` cookie.

    Raises:
        HTTPException: 401 without credentials, 403 with an invalid token.
    """
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user, oauth2_scheme

    return await get_user(request, await oauth2_scheme(request), await bearer_scheme(request))


def paper_query(session: ReadSession, query: dict[str, str], paged: bool = True) -> PaperQuery:
    """The list's (or export's) parameters, validated; the day range resolved against the warehouse.

    Raises:
        ParameterError: naming the bad parameter.
    """
    model_id = p.model_param(query)
    label = p.label_param(query, "label", known_labels(session))
    category = p.category_param(query)
    search = p.search_param(query)
    sort = p.choice_param(query, "sort", SORTS, "day")
    order = p.choice_param(query, "order", ORDERS, "asc" if sort == "id" else "desc")
    limit = p.int_param(query, "limit", p.DEFAULT_PAGE_SIZE, 1, p.MAX_PAGE_SIZE) if paged else p.MAX_PAGE_SIZE
    after = None
    if paged and query.get("after"):
        try:
            after = PageCursor.decode(query["after"], sort, order)
        except CursorError as exc:
            raise p.ParameterError(f"query parameter after {exc}") from None
    days = p.resolve_days(session, p.range_params(query), model_id)
    return PaperQuery(days, model_id, label, category, search, sort, order, limit, after)


def create_app(warehouse_url: Callable[[], str] | None = None) -> FastAPI:
    """The app; ``warehouse_url`` returns the warehouse to read (default: the DAG's, from its connection)."""
    app = FastAPI(title="arXiv labels", docs_url=None, redoc_url=None, openapi_url=None)

    def reader() -> WarehouseReader:
        if warehouse_url is not None:
            return WarehouseReader(warehouse_url())
        from arxiv_labeler.hooks.warehouse import WarehouseHook

        return WarehouseReader(WarehouseHook().get_url())

    @app.exception_handler(WarehouseUnavailableError)
    async def unavailable(request: Request, exc: WarehouseUnavailableError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "5"})

    @app.exception_handler(p.ParameterError)
    async def bad_parameter(request: Request, exc: p.ParameterError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    auth = [Depends(signed_in_user)]

    @app.get("/", response_class=HTMLResponse, dependencies=auth)
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers={"Cache-Control": "no-store"})

    @app.get("/api/summary", dependencies=auth)
    def summary_route(request: Request) -> dict[str, Any]:
        query = p.check_names(request.query_params.multi_items(), SUMMARY_PARAMS)
        with reader().session() as session:
            model_id = p.model_param(query)
            group = p.label_param(query, "group", known_labels(session))
            days = p.resolve_days(session, p.range_params(query), model_id)
            return summary(session, Filters(days, model_id, group))

    @app.get("/api/models", dependencies=auth)
    def models_route(request: Request) -> dict[str, Any]:
        p.check_names(request.query_params.multi_items(), ())
        with reader().session() as session:
            found = models(session)
            return {"models": found, "labels": sorted(known_labels(session))}

    @app.get("/api/papers", dependencies=auth)
    def papers_route(request: Request) -> dict[str, Any]:
        query = p.check_names(request.query_params.multi_items(), LIST_PARAMS)
        with reader().session() as session:
            q = paper_query(session, query)
            found = list_papers(session, q)
        return {
            **q.days.as_json(),
            "model": q.model_id,
            "label": q.label,
            "category": q.category,
            "q": " ".join(q.search) or None,
            "sort": q.sort,
            "order": q.order,
            "limit": q.limit,
            "total": found.total,
            "next": found.next_cursor,
            "columns": list(found.columns),
            "papers": found.rows,
        }

    @app.get("/api/papers/{arxiv_id:path}", dependencies=auth)
    def paper_route(arxiv_id: str, request: Request) -> JSONResponse:
        p.check_names(request.query_params.multi_items(), ())
        with reader().session() as session:
            detail = paper_detail(session, p.arxiv_id_param(arxiv_id))
        if detail is None:
            return JSONResponse(status_code=404, content={"detail": f"no paper {arxiv_id} in the warehouse"})
        return JSONResponse(detail)

    @app.get("/api/compare", dependencies=auth)
    def compare_route(request: Request) -> dict[str, Any]:
        query = p.check_names(request.query_params.multi_items(), COMPARE_PARAMS)
        model_a, model_b = p.model_param(query, "model_a"), p.model_param(query, "model_b")
        for name, value in (("model_a", model_a), ("model_b", model_b)):
            if value is None:
                raise p.ParameterError(f"query parameter {name} is required: the id of a model to compare")
        assert model_a is not None and model_b is not None
        if model_a == model_b:
            raise p.ParameterError("query parameters model_a and model_b name the same model; pick two")
        limit = p.int_param(query, "limit", p.DEFAULT_PAGE_SIZE, 1, p.MAX_PAGE_SIZE)
        offset = p.int_param(query, "offset", 0, 0, MAX_COMPARE_OFFSET)
        with reader().session() as session:
            days = p.resolve_days(session, p.range_params(query))
            try:
                return compare_page(session, model_a, model_b, days, limit, offset)
            except ValueError as exc:
                raise p.ParameterError(f"query parameters model_a, model_b: {exc}") from None

    @app.get("/api/papers.{kind}", dependencies=auth)
    def export_route(kind: str, request: Request) -> StreamingResponse:
        if kind not in EXPORT_TYPES:
            raise p.ParameterError(f"path parameter kind must be csv or parquet, got {kind[:20]!r}")
        query = p.check_names(request.query_params.multi_items(), FILTER_PARAMS)
        media_type, chunks = EXPORT_TYPES[kind]
        resources = ExitStack()
        session = resources.enter_context(reader().session())  # opened here: a busy warehouse is a 503, not a cut stream
        try:
            q = paper_query(session, query, paged=False)
        except BaseException:
            resources.close()
            raise

        def body() -> Iterator[bytes]:
            with resources:
                yield from chunks(iter_list_rows(session, q, EXPORT_BATCH_ROWS))

        name = f"arxiv-papers-{q.days.start}-{q.days.end}.{kind}"
        return StreamingResponse(body(), media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return app
