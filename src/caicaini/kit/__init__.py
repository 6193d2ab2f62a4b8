"""Shared kernel: small types and helpers that depend on no domain package."""
