"""The REST interface of the module build orchestrator (``conveyor api``).

It only records requests (rows and outbox messages, through the model
functions); the module consumer does the orchestration. ``create_app`` in
``api.app`` builds the Flask application; ``api.wsgi`` is the entry point for
mod_wsgi, where the front proxy's ``REMOTE_USER`` reaches the application.
"""
