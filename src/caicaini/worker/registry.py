"""Every job the scheduler knows: each domain declares its own in ``<domain>/tasks.py`` as
``JOBS`` (periodic) and ``HANDLERS`` (one-off, by name); this module only collects them."""

from __future__ import annotations

from importlib import import_module

from caicaini.worker.scheduler import HandlerFn, Job

TASK_MODULES = [
    "caicaini.mail.tasks",
    "caicaini.audit.tasks",
    "caicaini.trust.tasks",
    "caicaini.accounts.tasks",
    "caicaini.payments.tasks",
    "caicaini.api_keys.tasks",
    "caicaini.ledger.tasks",
    "caicaini.subscriptions.tasks",
]


def collect() -> tuple[list[Job], dict[str, HandlerFn]]:
    jobs: list[Job] = []
    handlers: dict[str, HandlerFn] = {}
    for name in TASK_MODULES:
        module = import_module(name)
        jobs.extend(getattr(module, "JOBS", []))
        handlers.update(getattr(module, "HANDLERS", {}))
    return jobs, handlers
