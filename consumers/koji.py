"""The koji consumer: ``buildsys.task.state.change`` and ``buildsys.build.state.change``.

Run it with ``fedora-messaging --conf config/koji.toml consume``.
"""

from consumers.callback import ConveyorConsumer


class KojiConsumer(ConveyorConsumer):
    name = "koji"
