"""Shared machinery of the estimators (not public API)."""
