"""Caicaini: access to large language models on credits."""

__version__ = "0.1.0"
