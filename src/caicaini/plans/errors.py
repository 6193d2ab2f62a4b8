"""Errors of the plans domain."""

from __future__ import annotations

from caicaini.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class UnknownModel(NotFound):
    """A model that the price sheet in effect does not list is never served (never free)."""

    code = "unknown_model"


class ModelNotInPlan(PermissionDenied):
    """The account's plan has no rate for this model, so it may not use it."""

    code = "model_not_in_plan"


class UnknownProduct(NotFound):
    """Only products of the sheet in effect can be bought."""

    code = "unknown_product"


class NoPriceSheet(Conflict):
    """Nothing is sold before a price sheet is in effect."""

    code = "no_price_sheet"


class InsufficientNotice(InvalidInput):
    """A change that reduces what subscribers get needs seven days' notice (Terms §1)."""

    code = "insufficient_notice"


class InvalidSheet(InvalidInput):
    """A price sheet must be complete and consistent before it is published."""

    code = "invalid_price_sheet"
