"""Composes with ODCS semantics: requests, reuse, expiry, regeneration and the backends."""
