"""Service operations of the App Runner emulator: create, describe, update, delete, pause, resume,
deploy, and the listings that hang off a service."""

from __future__ import annotations

import copy
import re
import secrets
import string
import uuid

from devtools.apprunner.shapes import (
    _KMS_ARN,
    _health_check,
    _instance_configuration,
    _network,
    _observability,
    _source_configuration,
)
from devtools.apprunner.state import DELETED, IN_PROGRESS, LOG, PAUSED, RUNNING, _BackendState, _Service
from devtools.apprunner.validation import (
    Json,
    _check_pattern,
    _Input,
    _invalid,
    _invalid_state,
    _now,
    _page,
    _quota,
    _tag_list,
    _with_token,
)

_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-_]{3,39}")


class _ServiceOperations(_BackendState):
    """The ``*Service``, ``StartDeployment`` and ``ListOperations`` handlers."""

    def _create_service(self, inp: _Input) -> Json:
        name = inp.req_str("ServiceName")
        _check_pattern(inp, "ServiceName", name, _SERVICE_NAME, _SERVICE_NAME.pattern)
        source = inp.obj("SourceConfiguration", required=True)
        assert source is not None
        config: Json = {"SourceConfiguration": _source_configuration(source)}
        config["InstanceConfiguration"] = _instance_configuration(inp.obj("InstanceConfiguration"))
        encryption = inp.obj("EncryptionConfiguration")
        if encryption is not None:
            kms_key = encryption.req_str("KmsKey")
            _check_pattern(encryption, "KmsKey", kms_key, _KMS_ARN, _KMS_ARN.pattern)
            config["EncryptionConfiguration"] = {"KmsKey": kms_key}
        config["HealthCheckConfiguration"] = _health_check(inp.obj("HealthCheckConfiguration"))
        config["NetworkConfiguration"] = _network(inp.obj("NetworkConfiguration"))
        observability = inp.obj("ObservabilityConfiguration")
        if observability is not None:
            config["ObservabilityConfiguration"] = _observability(observability)
        tags = _tag_list(inp, "Tags")
        auto_scaling = self._asc_for_service(inp)

        if any(s.name == name for s in self._services.values()):
            raise _invalid(f"Service with the provided name already exists: {name}")
        if len(self._services) >= self.max_services:
            raise _quota(
                f"You have reached the maximum number of services ({self.max_services}) "
                f"in this account and Region ({self.region})"
            )
        self._assume_roles(config)
        now = _now()
        service_id = uuid.uuid4().hex
        subdomain = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        service = _Service(
            arn=f"{self._arn_prefix()}service/{name}/{service_id}",
            id=service_id,
            name=name,
            url=f"{subdomain}.{self.region}.awsapprunner.com",
            created_at=now,
            updated_at=now,
            status=IN_PROGRESS,
            config=config,
            auto_scaling_arn=auto_scaling.arn,
        )
        self._services[service.arn] = service
        if tags:
            self._tags[service.arn] = tags
        operation = self._begin(service, "CREATE_SERVICE", RUNNING)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _assume_roles(self, config: Json) -> None:
        """Refuse, as App Runner does, a role it cannot assume yet (IAM is eventually consistent).

        The messages are the real ones: the AWS provider retries ``CreateService`` on "Error in
        assuming instance role" for a while, but not on the access role.
        """
        check = self._role_check
        if check is None:
            return
        source: Json = config.get("SourceConfiguration", {})
        roles = (
            ("access", source.get("AuthenticationConfiguration", {}).get("AccessRoleArn")),
            ("instance", config.get("InstanceConfiguration", {}).get("InstanceRoleArn")),
        )
        for kind, arn in roles:
            if arn is None:
                continue
            reason = check(arn)
            if reason is not None:
                LOG.warning("cannot assume %s role %s: %s", kind, arn, reason)
                raise _invalid(f"Error in assuming {kind} role {arn}")

    def _describe_service(self, inp: _Input) -> Json:
        return {"Service": self._service_json(self._service(inp))}

    def _update_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status not in (RUNNING, PAUSED):
            raise _invalid_state(f"Service cannot be updated in the current state: {service.status}.")
        members = (
            "SourceConfiguration",
            "InstanceConfiguration",
            "HealthCheckConfiguration",
            "NetworkConfiguration",
            "ObservabilityConfiguration",
            "AutoScalingConfigurationArn",
        )
        if not any(inp.has(member) for member in members):
            raise _invalid("No configurations provided in the UpdateService request.")
        config = copy.deepcopy(service.config)
        source = inp.obj("SourceConfiguration")
        if source is not None:
            config["SourceConfiguration"] = _source_configuration(source)
        instance = inp.obj("InstanceConfiguration")
        if instance is not None:
            config["InstanceConfiguration"] = _instance_configuration(instance)
        health = inp.obj("HealthCheckConfiguration")
        if health is not None:
            config["HealthCheckConfiguration"] = _health_check(health)
        network = inp.obj("NetworkConfiguration")
        if network is not None:
            config["NetworkConfiguration"] = _network(network)
        observability = inp.obj("ObservabilityConfiguration")
        if observability is not None:
            config["ObservabilityConfiguration"] = _observability(observability)
        auto_scaling_arn = service.auto_scaling_arn
        if inp.has("AutoScalingConfigurationArn"):
            auto_scaling_arn = self._asc_for_service(inp).arn
        # Only the roles this request sets: the ones in use were assumed before.
        self._assume_roles({key: config[key] for key in members if inp.has(key) and key in config})

        previous = (service.config, service.auto_scaling_arn)
        service.config = config
        service.auto_scaling_arn = auto_scaling_arn
        operation = self._begin(service, "UPDATE_SERVICE", service.status, previous=previous)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _delete_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status == IN_PROGRESS:
            raise _invalid_state(f"Service cannot be deleted in the current state: {service.status}.")
        operation = self._begin(service, "DELETE_SERVICE", DELETED)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _pause_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status != RUNNING:
            raise _invalid_state(f"Service cannot be paused in the current state: {service.status}.")
        operation = self._begin(service, "PAUSE_SERVICE", PAUSED)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _resume_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status != PAUSED:
            raise _invalid_state(f"Service cannot be resumed in the current state: {service.status}.")
        operation = self._begin(service, "RESUME_SERVICE", RUNNING)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _start_deployment(self, inp: _Input) -> Json:
        """Redeploy the configured image: the request has no image (``UpdateService`` changes it).

        The image identifier and the secrets are read again, so a moved tag or a rotated secret value
        is picked up; a secret without a value rolls the deployment back.
        """
        service = self._service(inp)
        if service.status != RUNNING:
            raise _invalid_state(f"Service cannot be deployed in the current state: {service.status}.")
        previous = (service.config, service.auto_scaling_arn)
        operation = self._begin(service, "START_DEPLOYMENT", RUNNING, previous=previous)
        return {"OperationId": operation.id}

    def _list_services(self, inp: _Input) -> Json:
        services = sorted(self._services.values(), key=lambda s: (s.created_at, s.name))
        page, token = _page(inp, [self._service_summary(s) for s in services], limit=20, kind="services")
        return _with_token({"ServiceSummaryList": page}, token)

    def _list_operations(self, inp: _Input) -> Json:
        service = self._service(inp)
        newest_first = [op.to_json() for op in reversed(service.operations)]
        page, token = _page(inp, newest_first, limit=20, kind="operations")
        return _with_token({"OperationSummaryList": page}, token)
