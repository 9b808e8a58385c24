"""The distgit consumer: ``git.receive`` and ``pagure.git.receive``.

Run it with ``fedora-messaging --conf config/distgit.toml consume``.
"""

from consumers.callback import ConveyorConsumer


class DistGitConsumer(ConveyorConsumer):
    name = "distgit"
