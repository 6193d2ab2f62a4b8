"""Caicaini Code: the terminal coding assistant of Caicaini.

Modules, one concern each: ``config`` (where things live, credentials), ``api`` (the typed
HTTP client of the public API), ``agent`` (the tool-use loop and its money guard),
``tools``, ``permissions``, ``sessions`` (append-only JSONL), ``render`` (streamed markdown,
diffs, tables), ``io`` (the one object that talks to the person, replaceable in tests),
``commands`` (slash commands), ``interactive`` and ``printmode`` (the two ways to run), and
``cli`` (the command line; heavy imports happen inside the commands so ``--help`` is quick).
"""

__version__ = "0.1.0"
