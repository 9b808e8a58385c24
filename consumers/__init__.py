"""fedora-messaging consumers: one module per message source."""
