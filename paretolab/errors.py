"""Errors meant for users: they carry a message that names what is wrong and how to fix it."""


class UserError(Exception):
    """Bad input from a user (config, file, command line).

    The CLI prints the message on one line and exits with code 2; the dashboard shows
    it beside the field. A traceback is never shown for these.
    """


class ConfigError(UserError):
    """A run config that does not validate. ``problems`` holds one line per bad field."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


class SchemaVersionError(UserError):
    """The database was made by another version of paretolab's schema."""


class RunNotFound(UserError):
    """No run with the given id in the store."""
