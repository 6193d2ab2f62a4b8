"""``caicaini orders ...`` (the group lives in ``caicaini.payments.commands``)."""

from caicaini.payments.commands import orders_app as app

__all__ = ["app"]
