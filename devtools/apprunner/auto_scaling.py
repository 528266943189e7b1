"""Auto scaling configuration operations of the App Runner emulator: revisions per name, the default
configuration, and deletion refused while a service uses one."""

from __future__ import annotations

import re
import uuid

from devtools.apprunner.state import (
    ASC_ACTIVE,
    ASC_INACTIVE,
    DEFAULT_ASC_NAME,
    _AutoScalingConfig,
    _BackendState,
)
from devtools.apprunner.validation import (
    Json,
    _check_pattern,
    _Input,
    _int_in_range,
    _invalid,
    _not_found,
    _now,
    _page,
    _quota,
    _tag_list,
    _with_token,
)

_ASC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_]{3,31}")


class _AutoScalingOperations(_BackendState):
    """The ``*AutoScalingConfiguration*`` handlers."""

    def _create_asc(self, inp: _Input) -> Json:
        name = inp.req_str("AutoScalingConfigurationName")
        _check_pattern(inp, "AutoScalingConfigurationName", name, _ASC_NAME, _ASC_NAME.pattern)
        if name == DEFAULT_ASC_NAME:
            raise _invalid(f"You can't create a reserved auto scaling configuration: '{name}'.")
        max_concurrency = _int_in_range(inp, "MaxConcurrency", 1, 200, default=100)
        min_size = _int_in_range(inp, "MinSize", 1, 25, default=1)
        max_size = _int_in_range(inp, "MaxSize", 1, 25, default=25)
        if min_size > max_size:
            raise _invalid(f"MinSize ({min_size}) must be less than or equal to MaxSize ({max_size}).")
        tags = _tag_list(inp, "Tags")

        active = [c for c in self._ascs.values() if c.status == ASC_ACTIVE and not c.reserved]
        names = {c.name for c in active}
        if name not in names and len(names) >= self.max_auto_scaling_names:
            raise _quota(
                "You have reached the maximum number of auto scaling configuration names "
                f"({self.max_auto_scaling_names}) in this account and Region ({self.region})"
            )
        if sum(c.name == name for c in active) >= self.max_auto_scaling_revisions:
            raise _quota(
                f"You have reached the maximum number of revisions ({self.max_auto_scaling_revisions}) "
                f"for the auto scaling configuration '{name}'"
            )
        revision = self._asc_revisions.get(name, 0) + 1
        self._asc_revisions[name] = revision
        config = _AutoScalingConfig(
            arn=self._asc_arn(name, revision, uuid.uuid4().hex),
            name=name,
            revision=revision,
            max_concurrency=max_concurrency,
            min_size=min_size,
            max_size=max_size,
            created_at=_now(),
        )
        self._ascs[config.arn] = config
        if tags:
            self._tags[config.arn] = tags
        return {"AutoScalingConfiguration": self._asc_json(config)}

    def _describe_asc(self, inp: _Input) -> Json:
        return {"AutoScalingConfiguration": self._asc_json(self._asc(inp))}

    def _delete_asc(self, inp: _Input) -> Json:
        arn = inp.req_str("AutoScalingConfigurationArn")
        delete_all = bool(inp.bool_("DeleteAllRevisions"))
        config = self._asc(inp)
        if delete_all:
            if arn.rstrip("/").count("/") != 1:
                raise _invalid(
                    "When DeleteAllRevisions is true, AutoScalingConfigurationArn must be a partial ARN "
                    f"ending with the configuration name (.../name), got '{arn}'"
                )
            targets = [c for c in self._ascs.values() if c.name == config.name and c.status == ASC_ACTIVE]
        else:
            targets = [config]
        if config.status != ASC_ACTIVE:
            raise _not_found(f"Auto scaling configuration with the provided ARN doesn't exist: {arn}")
        for target in targets:
            if target.reserved or target.is_default:
                raise _invalid(f"You can't delete a reserved auto scaling configuration: '{target.name}'.")
            if self._has_associated_service(target):
                raise _invalid(
                    "You can't delete the auto scaling configuration. It's used by one or more services. "
                    "To delete it, update the services to use other auto scaling configurations."
                )
        now = _now()
        for target in targets:
            target.status = ASC_INACTIVE
            target.deleted_at = now
            self._tags.pop(target.arn, None)
        return {"AutoScalingConfiguration": self._asc_json(config)}

    def _list_ascs(self, inp: _Input) -> Json:
        name = inp.str_("AutoScalingConfigurationName")
        latest_only = bool(inp.bool_("LatestOnly"))
        configs = [c for c in self._ascs.values() if c.status == ASC_ACTIVE]
        if name is not None:
            configs = [c for c in configs if c.name == name]
        if latest_only:
            configs = [c for c in configs if self._is_latest(c)]
        configs.sort(key=lambda c: (c.name, c.revision))
        page, token = _page(inp, [self._asc_summary(c) for c in configs], limit=100, kind="asc")
        return _with_token({"AutoScalingConfigurationSummaryList": page}, token)

    def _update_default_asc(self, inp: _Input) -> Json:
        config = self._asc(inp)
        if config.status != ASC_ACTIVE:
            raise _not_found(f"Auto scaling configuration with the provided ARN doesn't exist: {config.arn}")
        for other in self._ascs.values():
            other.is_default = other is config
        return {"AutoScalingConfiguration": self._asc_json(config)}

    def _list_services_for_asc(self, inp: _Input) -> Json:
        config = self._asc(inp)
        arns = sorted(s.arn for s in self._services.values() if s.auto_scaling_arn == config.arn)
        page, token = _page(inp, arns, limit=100, kind="asc-services")
        return _with_token({"ServiceArnList": page}, token)
