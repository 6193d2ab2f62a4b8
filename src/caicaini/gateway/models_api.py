"""``GET /v1/models``: the models the key's plan may use, with their per-message rates, in
Anthropic's shape when the request carries ``anthropic-version`` and OpenAI's otherwise."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from caicaini.errors import NotFound
from caicaini.gateway import errors as _errors  # noqa: F401  (registers the error renderers)
from caicaini.gateway.auth import authenticate
from caicaini.gateway.pipeline import terms_for
from caicaini.gateway.state import gateway_state
from caicaini.http.deps import app_context
from caicaini.plans.service import PlanService

router = APIRouter(tags=["gateway"])

CREATED_AT = "2026-01-01T00:00:00Z"
CREATED_UNIX = 1_767_225_600


async def _catalogue(request: Request) -> list[dict[str, Any]]:
    ctx = app_context(request)
    state = gateway_state(ctx)
    key = await authenticate(request, ctx, state)
    terms = await terms_for(ctx, state, key.account_id)
    async with ctx.read() as session:
        sheet = await PlanService(session, ctx.clock).sheet(terms.sheet_version)
    allowed = key.allowed_models
    out = []
    for model_id, rate in terms.plan.rates.items():
        model = sheet.models.get(model_id)
        if model is None or (allowed is not None and model_id not in allowed):
            continue
        out.append(
            {
                "id": model.id,
                "display_name": model.display_name,
                "provider": model.provider,
                "credits_per_message": rate,
                "included_input_tokens": model.included_input_tokens,
                "included_output_tokens": model.included_output_tokens,
                "max_output_tokens": model.max_output_tokens,
            }
        )
    return sorted(out, key=lambda m: str(m["id"]))


def _anthropic(model: dict[str, Any]) -> dict[str, Any]:
    return {"type": "model", "created_at": CREATED_AT, **model}


def _openai(model: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in model.items() if k != "id"}
    return {
        "id": model["id"],
        "object": "model",
        "created": CREATED_UNIX,
        "owned_by": model["provider"],
        **extra,
    }


@router.get("/v1/models", include_in_schema=False)
async def list_models(request: Request) -> Response:
    models = await _catalogue(request)
    if "anthropic-version" in request.headers:
        data = [_anthropic(m) for m in models]
        return JSONResponse(
            {
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )
    return JSONResponse({"object": "list", "data": [_openai(m) for m in models]})


@router.get("/v1/models/{model_id}", include_in_schema=False)
async def get_model(model_id: str, request: Request) -> Response:
    for model in await _catalogue(request):
        if model["id"] == model_id:
            shaped = _anthropic(model) if "anthropic-version" in request.headers else _openai(model)
            return JSONResponse(shaped)
    raise NotFound(f"model {model_id!r} not found")
