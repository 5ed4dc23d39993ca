class BuildError(RuntimeError):
    """Stops the build; the message is one line that names the cause."""
