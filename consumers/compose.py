"""The compose consumer: Conveyor's own ``conveyor.compose.state.change.v1`` announcements
(generate a compose in wait, delete the files of a removed one) and composes seen on the
bus (``pungi.compose.status.change``, ``odcs.compose.state-changed``).

Run it with ``fedora-messaging --conf config/compose.toml consume``.
"""

from consumers.callback import ConveyorConsumer


class ComposeConsumer(ConveyorConsumer):
    name = "compose"
