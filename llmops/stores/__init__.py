"""Stores: one small interface each, an embedded default and (later) a shared backend."""
