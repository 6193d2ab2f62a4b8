"""What a product is called for a person: the one wording used by pages, e-mails and receipts.

Products have codes (``plan:plus``, ``topup:small``) that scripts and the API use; people read
"Plus plan, one month" and "Top-up, 2,000 credits". An order freezes its wording when it is
opened, like its price, so a later rename of the plan does not rewrite old receipts.
"""

from __future__ import annotations


def product_label(product: str, credits: int, display_name: str = "") -> str:
    """The human name of the product with code ``product`` (``plan:<name>``/``topup:<name>``)."""
    kind, _, name = product.partition(":")
    if kind == "plan":
        return f"{display_name or name.replace('-', ' ').title()} plan, one month"
    return f"Top-up, {credits:,} credits"
