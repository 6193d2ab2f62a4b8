"""The fast lane: endpoints marked ``fast_lane`` are served without the framework's layers,
but with the request-context middleware and the application's own exception handlers; any
other method or path takes the full stack."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from caicaini import errors
from caicaini.http.lane import FastLaneApp, fast_lane


async def hot(request: Request) -> Response:
    kind = request.query_params.get("fail")
    if kind == "domain":
        raise errors.InvalidInput("bad thing")
    if kind == "bug":
        raise RuntimeError("a bug with a secret sk-cai-0123456789abcdef")
    return JSONResponse(
        {"route": request.scope["route"].path, "body": (await request.body()).decode()}
    )


def make_app() -> FastLaneApp:
    app = FastLaneApp()

    async def domain(request: Request, exc: Exception) -> Response:
        return JSONResponse({"type": "domain", "message": str(exc)}, status_code=400)

    async def unexpected(request: Request, exc: Exception) -> Response:
        return JSONResponse({"type": "internal"}, status_code=500)

    app.add_exception_handler(errors.DomainError, domain)
    app.add_exception_handler(Exception, unexpected)
    router = APIRouter()
    router.add_route("/v1/hot", fast_lane(hot), methods=["POST"])
    router.add_route("/v1/cold", hot, methods=["POST"])
    app.include_router(router)
    return app


def client(app: FastLaneApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


async def test_marked_endpoints_are_served_with_request_ids_and_any_query_string() -> None:
    async with client(make_app()) as http:
        r = await http.post("/v1/hot?beta=true", content=b"hello")
    assert r.status_code == 200
    assert r.json() == {"route": "/v1/hot", "body": "hello"}
    assert r.headers["caicaini-request-id"].startswith("req")


async def test_errors_are_rendered_by_the_apps_own_handlers() -> None:
    async with client(make_app()) as http:
        domain = await http.post("/v1/hot?fail=domain")
        bug = await http.post("/v1/hot?fail=bug")
    assert (domain.status_code, domain.json()) == (400, {"type": "domain", "message": "bad thing"})
    assert (bug.status_code, bug.json()) == (500, {"type": "internal"})
    assert "sk-cai" not in bug.text
    assert bug.headers["caicaini-request-id"].startswith("req")


async def test_other_methods_and_unmarked_routes_take_the_full_stack() -> None:
    app = make_app()
    async with client(app) as http:
        wrong_method = await http.get("/v1/hot")
        cold = await http.post("/v1/cold", content=b"x")
    assert wrong_method.status_code == 405
    assert "caicaini-request-id" not in wrong_method.headers  # no context middleware here
    assert cold.json() == {"route": "/v1/cold", "body": "x"}
