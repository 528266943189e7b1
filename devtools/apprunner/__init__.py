"""A local emulator of the AWS App Runner control plane (see :mod:`devtools.apprunner_emulator`).

Modules, by what they own: ``validation`` (errors, typed request access, checks), ``shapes`` (the
configuration normalizers), ``state`` (resource records and the shared state machine), ``services``,
``custom_domains`` and ``auto_scaling`` (their operations), ``faults`` (test faults and the health
endpoint), ``backend`` (dispatch, reset, tags), ``server`` (HTTP and :class:`AppRunnerEmulator`),
``cli`` (``main``).
"""

from devtools.apprunner.backend import AppRunnerBackend
from devtools.apprunner.cli import main
from devtools.apprunner.server import AppRunnerEmulator
from devtools.apprunner.validation import ApiError

__all__ = ["ApiError", "AppRunnerBackend", "AppRunnerEmulator", "main"]
