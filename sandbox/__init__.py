"""The local world for the demo and the tests (never imported by production code)."""
