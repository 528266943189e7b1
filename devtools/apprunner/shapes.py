"""Shape normalizers: a request's service configuration in, what App Runner stores and echoes out.

App Runner fills in defaults and rewrites spellings (``"1 vCPU"`` → ``"1024"``); echoing the same
normalized shape is what lets a Terraform plan right after an apply show no changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from devtools.apprunner.validation import (
    Json,
    _check_arn,
    _check_enum,
    _check_length,
    _check_pattern,
    _constraint,
    _Input,
    _int_in_range,
    _invalid,
)

_ROLE_ARN = re.compile(
    r"arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):iam::[0-9]{12}:(role|role/service-role)/[\w+=,.@\-/]{1,1000}"
)
_KMS_ARN = re.compile(r"arn:aws(-[\w]+)*:kms:[a-z\-]+-[0-9]{1}:[0-9]{12}:key/[0-9a-zA-Z-]+")
_PRIVATE_IMAGE = re.compile(r"[0-9]{12}\.dkr\.ecr\.[a-z\-]+-[0-9]{1}\.amazonaws\.com(\.cn)?/.+")
_PUBLIC_IMAGE = re.compile(r"public\.ecr\.aws/.+/.+")
_SECRET_REF = re.compile(r"arn:aws(-[\w]+)*:(secretsmanager|ssm):[a-z0-9-]+:[0-9]{12}:.+|[\w.\-/]{1,2048}")
_RESERVED_ENV_PREFIX = "AWSAPPRUNNER"

# CPU in vCPU units and memory in MB, as App Runner returns them, from every spelling it accepts.
_CPU_UNITS: Final = {
    "256": "256",
    "0.25 vCPU": "256",
    "512": "512",
    "0.5 vCPU": "512",
    "1024": "1024",
    "1 vCPU": "1024",
    "2048": "2048",
    "2 vCPU": "2048",
    "4096": "4096",
    "4 vCPU": "4096",
}
_MEMORY_MB: Final = {
    "512": "512",
    "0.5 GB": "512",
    "1024": "1024",
    "1 GB": "1024",
    "2048": "2048",
    "2 GB": "2048",
    "3072": "3072",
    "3 GB": "3072",
    "4096": "4096",
    "4 GB": "4096",
    "6144": "6144",
    "6 GB": "6144",
    "8192": "8192",
    "8 GB": "8192",
    "10240": "10240",
    "10 GB": "10240",
    "12288": "12288",
    "12 GB": "12288",
}
VALID_CPU_MEMORY: Final[Mapping[str, tuple[str, ...]]] = {
    "256": ("512", "1024"),
    "512": ("1024",),
    "1024": ("2048", "3072", "4096"),
    "2048": ("4096", "6144"),
    "4096": ("8192", "10240", "12288"),
}
_CPU_PATTERN = "256|512|1024|2048|4096|(0.25|0.5|1|2|4) vCPU"
_MEMORY_PATTERN = "512|1024|2048|3072|4096|6144|8192|10240|12288|(0.5|1|2|3|4|6|8|10|12) GB"

_RUNTIMES: Final = (
    "PYTHON_3",
    "NODEJS_12",
    "NODEJS_14",
    "CORRETTO_8",
    "CORRETTO_11",
    "NODEJS_16",
    "GO_1",
    "DOTNET_6",
    "PHP_81",
    "RUBY_31",
    "PYTHON_311",
    "NODEJS_18",
    "NODEJS_22",
)


def _port(inp: _Input, key: str = "Port") -> str:
    value = inp.str_(key)
    if value is None:
        return "8080"
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise _invalid(
            f"The port '{value}' at '{inp.path(key)}' isn't valid: use a port number from 1 to 65535."
        )
    return value


def _environment(inp: _Input) -> Json:
    """``RuntimeEnvironmentVariables``/``RuntimeEnvironmentSecrets`` of an image or code configuration."""
    out: Json = {}
    for key in ("RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets"):
        values = inp.str_map(key)
        if values is None:
            continue
        for name, value in values.items():
            if not name:
                raise _constraint(inp.path(key), name, "Member must have length greater than or equal to 1")
            if name.upper().startswith(_RESERVED_ENV_PREFIX):
                raise _invalid(
                    f"The environment variable name '{name}' at '{inp.path(key)}' isn't valid: "
                    f"names starting with {_RESERVED_ENV_PREFIX} are reserved by App Runner."
                )
            if key == "RuntimeEnvironmentSecrets" and not _SECRET_REF.fullmatch(value):
                raise _invalid(
                    f"The secret reference '{value}' for '{name}' at '{inp.path(key)}' isn't valid: "
                    "use the ARN of a Secrets Manager secret or SSM parameter (or an SSM parameter name)."
                )
        out[key] = dict(values)
    return out


def _image_configuration(inp: _Input) -> Json:
    out: Json = {"Port": _port(inp)}
    out.update(_environment(inp))
    start = inp.str_("StartCommand")
    if start is not None:
        out["StartCommand"] = start
    return out


def _image_repository(inp: _Input) -> Json:
    identifier = inp.req_str("ImageIdentifier")
    _check_length(inp, "ImageIdentifier", identifier, 1, 1024)
    repo_type = inp.req_str("ImageRepositoryType")
    _check_enum(inp, "ImageRepositoryType", repo_type, ("ECR", "ECR_PUBLIC"))
    expected = _PRIVATE_IMAGE if repo_type == "ECR" else _PUBLIC_IMAGE
    if not expected.fullmatch(identifier):
        kind = "a private ECR image (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)"
        if repo_type == "ECR_PUBLIC":
            kind = "a public ECR image (public.ecr.aws/<alias>/<repo>:<tag>)"
        raise _invalid(
            f"The image identifier '{identifier}' at '{inp.path('ImageIdentifier')}' isn't valid for "
            f"ImageRepositoryType {repo_type}: expected {kind}."
        )
    out: Json = {"ImageIdentifier": identifier}
    image_config = inp.obj("ImageConfiguration")
    if image_config is not None:
        out["ImageConfiguration"] = _image_configuration(image_config)
    out["ImageRepositoryType"] = repo_type
    return out


def _code_repository(inp: _Input) -> Json:
    url = inp.req_str("RepositoryUrl")
    _check_length(inp, "RepositoryUrl", url, 1, 51200)
    version = inp.obj("SourceCodeVersion", required=True)
    assert version is not None
    version_type = version.req_str("Type")
    _check_enum(version, "Type", version_type, ("BRANCH",))
    version_value = version.req_str("Value")
    _check_length(version, "Value", version_value, 1, 51200)
    out: Json = {"RepositoryUrl": url, "SourceCodeVersion": {"Type": version_type, "Value": version_value}}
    code_config = inp.obj("CodeConfiguration")
    if code_config is not None:
        source = code_config.req_str("ConfigurationSource")
        _check_enum(code_config, "ConfigurationSource", source, ("REPOSITORY", "API"))
        built: Json = {"ConfigurationSource": source}
        values = code_config.obj("CodeConfigurationValues")
        if source == "API" and values is None:
            raise _constraint(code_config.path("CodeConfigurationValues"), None, "Member must not be null")
        if values is not None:
            runtime = values.req_str("Runtime")
            _check_enum(values, "Runtime", runtime, _RUNTIMES)
            built_values: Json = {"Runtime": runtime, "Port": _port(values)}
            for key in ("BuildCommand", "StartCommand"):
                command = values.str_(key)
                if command is not None:
                    built_values[key] = command
            built_values.update(_environment(values))
            built["CodeConfigurationValues"] = built_values
        out["CodeConfiguration"] = built
    directory = inp.str_("SourceDirectory")
    out["SourceDirectory"] = directory if directory else "/"
    return out


def _source_configuration(inp: _Input) -> Json:
    image = inp.obj("ImageRepository")
    code = inp.obj("CodeRepository")
    if (image is None) == (code is None):
        raise _invalid(
            f"'{inp.path('ImageRepository')}' or '{inp.path('CodeRepository')}' is required: "
            "specify exactly one of them."
        )
    out: Json = {}
    auth_in = inp.obj("AuthenticationConfiguration")
    auth: Json = {}
    if auth_in is not None:
        role = auth_in.str_("AccessRoleArn")
        if role is not None:
            _check_pattern(auth_in, "AccessRoleArn", role, _ROLE_ARN, _ROLE_ARN.pattern)
            auth["AccessRoleArn"] = role
        connection = auth_in.str_("ConnectionArn")
        if connection is not None:
            _check_arn(auth_in, "ConnectionArn", connection)
            auth["ConnectionArn"] = connection
    if image is not None:
        repository = _image_repository(image)
        is_public = repository["ImageRepositoryType"] == "ECR_PUBLIC"
        auto_deploy = inp.bool_("AutoDeploymentsEnabled")
        if auto_deploy is None:
            auto_deploy = not is_public
        if is_public and auto_deploy:
            raise _invalid(
                "App Runner doesn't support automatic deployments for an image in an ECR Public repository."
            )
        if not is_public and "AccessRoleArn" not in auth:
            raise _invalid(
                f"'{inp.path('AuthenticationConfiguration.AccessRoleArn')}' is required for an image in a "
                "private ECR repository (ImageRepositoryType ECR): App Runner needs a role to pull it."
            )
        key, value = "ImageRepository", repository
    else:
        assert code is not None
        value = _code_repository(code)
        auto_deploy = inp.bool_("AutoDeploymentsEnabled")
        auto_deploy = True if auto_deploy is None else auto_deploy
        if "ConnectionArn" not in auth:
            raise _invalid(
                f"'{inp.path('AuthenticationConfiguration.ConnectionArn')}' is required for a source code "
                "repository: App Runner needs a connection to read it."
            )
        key = "CodeRepository"
    if auth:
        out["AuthenticationConfiguration"] = auth
    out["AutoDeploymentsEnabled"] = auto_deploy
    out[key] = value
    return out


def _instance_configuration(inp: _Input | None) -> Json:
    if inp is None:
        return {"Cpu": "1024", "Memory": "2048"}
    cpu_in = inp.str_("Cpu") or "1024"
    memory_in = inp.str_("Memory") or "2048"
    cpu = _CPU_UNITS.get(cpu_in)
    if cpu is None:
        raise _constraint(
            inp.path("Cpu"), cpu_in, f"Member must satisfy regular expression pattern: {_CPU_PATTERN}"
        )
    memory = _MEMORY_MB.get(memory_in)
    if memory is None:
        raise _constraint(
            inp.path("Memory"),
            memory_in,
            f"Member must satisfy regular expression pattern: {_MEMORY_PATTERN}",
        )
    allowed = VALID_CPU_MEMORY[cpu]
    if memory not in allowed:
        raise _invalid(
            f"The combination of {inp.path('Cpu')} '{cpu_in}' and {inp.path('Memory')} '{memory_in}' isn't "
            f"supported: with {cpu} CPU units, Memory must be one of {', '.join(allowed)} (MB)."
        )
    out: Json = {"Cpu": cpu, "Memory": memory}
    role = inp.str_("InstanceRoleArn")
    if role is not None:
        _check_pattern(inp, "InstanceRoleArn", role, _ROLE_ARN, _ROLE_ARN.pattern)
        out["InstanceRoleArn"] = role
    return out


def _health_check(inp: _Input | None) -> Json:
    if inp is None:
        inp = _Input({}, "HealthCheckConfiguration")
    protocol = inp.str_("Protocol") or "TCP"
    _check_enum(inp, "Protocol", protocol, ("TCP", "HTTP"))
    path = inp.str_("Path")
    if path is None:
        path = "/"
    _check_length(inp, "Path", path, 1, 51200)
    return {
        "Protocol": protocol,
        "Path": path,
        "Interval": _int_in_range(inp, "Interval", 1, 20, default=5),
        "Timeout": _int_in_range(inp, "Timeout", 1, 20, default=2),
        "HealthyThreshold": _int_in_range(inp, "HealthyThreshold", 1, 20, default=1),
        "UnhealthyThreshold": _int_in_range(inp, "UnhealthyThreshold", 1, 20, default=5),
    }


def _network(inp: _Input | None) -> Json:
    if inp is None:
        inp = _Input({}, "NetworkConfiguration")
    egress_in = inp.obj("EgressConfiguration")
    egress: Json = {"EgressType": "DEFAULT"}
    if egress_in is not None:
        egress_type = egress_in.str_("EgressType") or "DEFAULT"
        _check_enum(egress_in, "EgressType", egress_type, ("DEFAULT", "VPC"))
        connector = egress_in.str_("VpcConnectorArn")
        if egress_type == "VPC" and not connector:
            raise _invalid(f"'{egress_in.path('VpcConnectorArn')}' is required when EgressType is VPC.")
        if egress_type == "DEFAULT" and connector:
            raise _invalid(f"'{egress_in.path('VpcConnectorArn')}' can only be set when EgressType is VPC.")
        egress = {"EgressType": egress_type}
        if connector:
            _check_arn(egress_in, "VpcConnectorArn", connector)
            egress["VpcConnectorArn"] = connector
    ingress_in = inp.obj("IngressConfiguration")
    # An empty IngressConfiguration means "not public": SDKs omit a false IsPubliclyAccessible.
    public = True if ingress_in is None else bool(ingress_in.bool_("IsPubliclyAccessible"))
    ip_type = inp.str_("IpAddressType") or "IPV4"
    _check_enum(inp, "IpAddressType", ip_type, ("IPV4", "DUAL_STACK"))
    if ip_type == "DUAL_STACK" and not public:
        raise _invalid("IpAddressType DUAL_STACK is only supported for a publicly accessible service.")
    return {
        "EgressConfiguration": egress,
        "IngressConfiguration": {"IsPubliclyAccessible": public},
        "IpAddressType": ip_type,
    }


def _observability(inp: _Input) -> Json:
    enabled = inp.bool_("ObservabilityEnabled", required=True)
    out: Json = {"ObservabilityEnabled": enabled}
    arn = inp.str_("ObservabilityConfigurationArn")
    if enabled and not arn:
        raise _invalid(
            f"'{inp.path('ObservabilityConfigurationArn')}' is required when ObservabilityEnabled is true."
        )
    if arn:
        _check_arn(inp, "ObservabilityConfigurationArn", arn)
        out["ObservabilityConfigurationArn"] = arn
    return out
