"""Kedro project settings.

Paths and URLs in ``conf/`` read the environment through the ``env`` resolver:
``${env:SCADA_PATH,data/01_raw/scada.parquet}`` is ``$SCADA_PATH`` when set and
non-empty, else the default.
"""

import os

from windpower.hooks import MlflowRunHook


def env_or_default(name: str, default: str | None = None) -> str | None:
    """OmegaConf resolver: an environment variable, or the default if unset/empty."""
    return os.environ.get(name) or default


def env_unset(name: str) -> bool:
    """OmegaConf resolver: true when the environment variable is unset or empty."""
    return not os.environ.get(name)


HOOKS = (MlflowRunHook(),)

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"env": env_or_default, "env_unset": env_unset},
}
