"""What people can do, one module a feature. Each module declares a ``FEATURE``
(handlers.registry.Feature): its commands, flows, buttons and file handler."""
