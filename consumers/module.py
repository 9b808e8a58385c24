"""The module consumer: the orchestrator's own ``conveyor.module.state.change.v1``
announcements (init and wait steps, cancel), ``buildsys.tag`` and ``buildsys.repo.done``.

Run it with ``fedora-messaging --conf config/module.toml consume``.
"""

from consumers.callback import ConveyorConsumer


class ModuleConsumer(ConveyorConsumer):
    name = "module"
