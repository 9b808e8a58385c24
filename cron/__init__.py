"""Periodic jobs (plain functions) and the APScheduler process that runs them."""
