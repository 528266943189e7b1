"""A local emulator of the AWS App Runner control plane, for end-to-end tests.

moto has no App Runner, so ``terraform apply`` of a stack with ``aws_apprunner_service`` and
``aws_apprunner_auto_scaling_configuration_version`` needs something else to talk to. This module serves
the App Runner AWS JSON 1.0 protocol (``POST /`` with ``X-Amz-Target: AppRunner.<Operation>``) on
loopback and keeps an in-memory model of services, auto scaling configurations, operations and tags that
behaves like the real service where Terraform can tell the difference:

* services go through ``OPERATION_IN_PROGRESS`` for ``ready_delay`` seconds before they are ``RUNNING``
  (or gone, after ``DeleteService``); what they echo back is normalized the way App Runner does it
  (``"1 vCPU"`` → ``"1024"``, defaults filled in), so a plan right after an apply shows no changes;
* auto scaling configurations get revisions 1, 2, 3… per name, report ``active``/``inactive`` in lower
  case as the real API does, and cannot be deleted while a service uses them;
* bad input is refused with the error types and, where known, the messages of the real service;
* ``StartDeployment`` redeploys the configured image (it takes no image); ``UpdateService`` with a new
  ``ImageIdentifier`` is what changes the image;
* optional hooks model faults of real AWS: ``secret_check`` (a secret without a current value fails a
  new service, ``CREATE_FAILED``, and rolls a running one back, ``ROLLBACK_SUCCEEDED``) and
  ``role_check`` (a role IAM has not propagated yet refuses ``CreateService``/``UpdateService`` with
  ``Error in assuming access role <arn>``); ``devtools.emulators.running()`` answers both from moto;
* injected faults for the deploy tool's tests (:mod:`devtools.apprunner.faults`): the next
  ``UpdateService`` rolls back or is slow, an image answers its health check with 503
  (``POST /_faults/<service-id>``, ``GET /_health/<service-id>``).

Usage from Python::

    with AppRunnerEmulator(ready_delay=0.2) as emulator:
        ...  # point the AWS provider's ``endpoints { apprunner = emulator.url }`` here

or as a process (prints ``listening on http://127.0.0.1:<port>`` once it accepts requests)::

    python -m devtools.apprunner_emulator --port 0 --ready-delay 0.5

Requests are not authenticated: any (or no) ``Authorization`` header is accepted.

The implementation lives in the :mod:`devtools.apprunner` package; this module keeps the public names
and the ``python -m devtools.apprunner_emulator`` entry point.
"""

from __future__ import annotations

from devtools.apprunner import ApiError, AppRunnerBackend, AppRunnerEmulator, main

__all__ = ["ApiError", "AppRunnerBackend", "AppRunnerEmulator", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
