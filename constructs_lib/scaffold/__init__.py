"""New CORA projects and their layout check: ``cora-infra new`` and ``cora-infra check`` (public API).

:func:`new_project` renders a consuming infra project from the Jinja2 templates in ``templates/``,
checks it (configs load, every stack synthesizes under the organisation policy) and only then writes it.
"""

from constructs_lib.scaffold.check import CheckReport, Finding, check_project, format_report
from constructs_lib.scaffold.new import NewProject, ScaffoldError, default_target, new_project, render_project
from constructs_lib.scaffold.regions import APP_RUNNER_REGIONS, AWS_REGIONS

__all__ = [
    "APP_RUNNER_REGIONS",
    "AWS_REGIONS",
    "CheckReport",
    "Finding",
    "NewProject",
    "ScaffoldError",
    "check_project",
    "default_target",
    "format_report",
    "new_project",
    "render_project",
]
