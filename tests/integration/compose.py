"""What the test servers take from the compose stack, read from its own files, so
the two cannot drift: the Postgres init script and the servers' settings."""

import re
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT / "docker-compose.yml"
POSTGRES_INIT_SCRIPT = PROJECT / "docker" / "postgres" / "init-databases.sh"
_VARIABLE = re.compile(r"\$\{(\w+)(?::?([-+])([^}]*))?\}")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:+alternative}``.

    Args:
        value: A value from the compose file.
        variables: The environment it is read with (unset: compose's defaults).

    Returns:
        The value compose would pass to the container.
    """
    def replace(match: re.Match) -> str:
        name, operator, word = match.groups()
        current = variables.get(name, "")
        if operator == "-":
            return current or word
        if operator == "+":
            return word if current else ""
        return current

    return _VARIABLE.sub(replace, value)


def service_env(service: str, names: list[str], **variables: str) -> dict[str, str]:
    """The environment variables ``names`` of compose service ``service``."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    environment = services[service]["environment"]
    return {name: interpolate(str(environment[name]), variables) for name in names}
