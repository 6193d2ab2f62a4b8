"""What one message costs.

A message is priced in *units*: ``units = max(1, ceil(input / included_input),
ceil(output / included_output))`` and ``credits = units * rate``. The hold for a request is
the largest price it can reach, i.e. with every token of ``max_tokens`` produced.
"""

from __future__ import annotations

from caicaini.kit.credits import ceil_div
from caicaini.plans.views import ModelRate, Price


def units_for(rate: ModelRate, input_tokens: int, output_tokens: int) -> int:
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts cannot be negative")
    model = rate.model
    return max(
        1,
        ceil_div(input_tokens, model.included_input_tokens),
        ceil_div(output_tokens, model.included_output_tokens),
    )


def price(rate: ModelRate, input_tokens: int, output_tokens: int) -> Price:
    if rate.credits_per_unit <= 0:
        raise ValueError("a rate must be positive: nothing is free")
    units = units_for(rate, input_tokens, output_tokens)
    return Price(units=units, credits=units * rate.credits_per_unit)


def max_price(rate: ModelRate, input_tokens: int, max_tokens: int) -> Price:
    """The most a request can cost: ``max_tokens`` capped at the model's output limit."""
    return price(rate, input_tokens, min(max_tokens, rate.model.max_output_tokens))


def affordable_max_tokens(rate: ModelRate, input_tokens: int, budget_credits: int) -> int:
    """The largest ``max_tokens`` whose worst-case price fits ``budget_credits`` (0 if even
    one unit does not fit, or the input alone costs more)."""
    units = budget_credits // rate.credits_per_unit
    model = rate.model
    if units < 1 or ceil_div(max(input_tokens, 0), model.included_input_tokens) > units:
        return 0
    return min(units * model.included_output_tokens, model.max_output_tokens)
