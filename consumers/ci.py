"""The ci consumer: CI results (``resultsdb.result.new``, the CI messages spec's
``ci.<artifact>.test.*``, the CentOS CI pipeline, legacy ``taskotron.result.new``);
records them and gates module builds from ``done`` to ``ready``.

Run it with ``fedora-messaging --conf config/ci.toml consume``. The
``ci-messages`` schema package is deliberately not needed: unconfigured, it
crashes the consumer on the first CI message (DESIGN.md, measured facts).
"""

from consumers.callback import ConveyorConsumer


class CIConsumer(ConveyorConsumer):
    name = "ci"
