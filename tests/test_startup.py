"""A server process of its own (``caicaini serve``) moves what start-up made out of the
garbage collector's sight, so that full collections under load stay short."""

from __future__ import annotations

import gc

import httpx

from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.main import create_app
from tests.conftest import LiveServer


async def test_a_server_process_freezes_its_startup_heap(
    settings: Settings, ctx: AppContext
) -> None:
    gc.unfreeze()
    with LiveServer(create_app(settings)) as base_url:
        async with httpx.AsyncClient() as http:
            assert (await http.get(base_url + "/healthz")).status_code == 200
        assert gc.get_freeze_count() > 0
    gc.unfreeze()


async def test_an_app_on_a_given_context_leaves_the_collector_alone(ctx: AppContext) -> None:
    gc.unfreeze()
    with LiveServer(create_app(ctx=ctx)) as base_url:
        async with httpx.AsyncClient() as http:
            assert (await http.get(base_url + "/healthz")).status_code == 200
        assert gc.get_freeze_count() == 0
