"""Who may read: the logged-in browser session, or an API key (the terminal client, scripts).

    reader: Reader = Depends(account_or_key)   # GET endpoints only

A request carrying a key (``x-api-key`` or ``Authorization: Bearer``) is authenticated as
that key, with the gateway's checks (throttle on bad keys, cache, suspended accounts);
otherwise the session cookie decides. Only read endpoints take this dependency: anything that
changes an account (passwords, e-mail, closure, key creation, payments) keeps requiring the
CSRF-protected session, so a leaked key can spend credits but never take the account over.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from caicaini.accounts.deps import current_account


@dataclass(frozen=True)
class Reader:
    id: str  # the account's id (as ``CurrentAccount.id``)
    key_id: str | None = None  # set when the request authenticated with an API key


async def account_or_key(request: Request) -> Reader:
    from caicaini.gateway.auth import authenticate, presented_key
    from caicaini.gateway.state import gateway_state

    if presented_key(request) is not None:
        ctx = request.app.state.ctx
        key = await authenticate(request, ctx, gateway_state(ctx))
        return Reader(key.account_id, key.id)
    override = request.app.dependency_overrides.get(current_account)  # as tests set
    account = await override() if override else await current_account(request)
    return Reader(account.id)


async def api_key_only(request: Request) -> Reader:
    """For what only a key may do to itself (revoke itself: the client's ``logout``)."""
    from caicaini.api_keys.errors import InvalidApiKey
    from caicaini.gateway.auth import presented_key

    if presented_key(request) is None:
        raise InvalidApiKey("send the API key as Authorization: Bearer or x-api-key")
    return await account_or_key(request)
