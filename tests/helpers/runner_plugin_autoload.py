"""``$VFEBENCH_PLUGINS`` module for ``vfebench`` child processes started by tests
(:func:`helpers.runs.plugin_env`): a plugin registers at import time, which is the plugin
contract; in-process tests use the ``runner_plugin`` fixture instead and never import this."""

from helpers.runner_plugin import register_for_process

register_for_process()
