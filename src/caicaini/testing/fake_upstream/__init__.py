"""A faithful fake of the model providers (Anthropic Messages, OpenAI/Moonshot chat
completions) for tests, development, the demo provider and benchmarks.

Public names: ``create_fake_upstream_app``, ``FakeScript``, ``Behaviour``,
``FakeUpstreamServer``. The reply conventions and scripting keys are documented in
``script.py``; token accounting in ``replies.py``.
"""

from caicaini.testing.fake_upstream.app import create_fake_upstream_app
from caicaini.testing.fake_upstream.replies import estimate_tokens
from caicaini.testing.fake_upstream.script import Behaviour, FakeScript, RecordedRequest
from caicaini.testing.fake_upstream.server import FakeUpstreamServer

__all__ = [
    "Behaviour",
    "FakeScript",
    "FakeUpstreamServer",
    "RecordedRequest",
    "create_fake_upstream_app",
    "estimate_tokens",
]
