"""``WebLoadBalancer``: the internet-facing Application Load Balancer in front of a Fargate service.

It owns both security groups of the path internet → load balancer → tasks, the ``ip`` target group the
tasks register in, and the listeners: HTTP :80 forwards to the tasks until a certificate is added
(:meth:`WebLoadBalancer.use_certificate`); from then on HTTPS :443 forwards and :80 answers with a
301 to HTTPS. Protected environments (stg, prd) get deletion protection and access logs in a bucket
of their own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from constructs import Construct
from pydantic import BaseModel, Field, field_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.refs import Address
from constructs_lib._runtime.validation import FROZEN_WITH_CONSTRUCTS, check_tags
from constructs_lib.compute.app_runner_service import HealthCheck, HealthCheckProtocol
from constructs_lib.network.access_logs import AccessLogsBucket
from constructs_lib.network.placement import Network

__all__ = [
    "HTTPS_POLICY",
    "MAX_LB_NAME",
    "AlbHealthCheck",
    "WebLoadBalancer",
    "WebLoadBalancerProps",
    "alb_health_check",
    "fit_name",
    "lb_name",
]

#: TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only (AWS's recommended policy for new ALBs).
HTTPS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
#: Load balancer and target group names: at most 32 letters, digits and ``-``, no ``-`` at either end.
MAX_LB_NAME = 32
_LB_INVALID = re.compile(r"[^A-Za-z0-9-]")
_HASH_CHARS = 6
_MAX_SG_NAME = 255
# Everything a task needs goes out over HTTPS: ECR, CloudWatch Logs, Secrets Manager, Okta, Supabase.
_TASK_EGRESS_PORT = 443


def fit_name(name: str, limit: int, suffix: str = "") -> str:
    """``name + suffix`` when it fits in ``limit`` characters; else ``name`` cut so that ``-``, 6 hex
    digits of the SHA-256 of ``name`` and ``suffix`` fit after it: deterministic, and two long names
    that share their beginning still differ."""
    if len(name) + len(suffix) <= limit:
        return f"{name}{suffix}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_CHARS]
    keep = limit - len(suffix) - _HASH_CHARS - 1
    return f"{name[:keep].rstrip('-_')}-{digest}{suffix}"


def lb_name(name: str) -> str:
    """``name`` as a load balancer or target group name (at most 32 letters, digits and ``-``).

    ``_`` becomes ``-`` and ``-`` at the ends is dropped; a name that then still fits is kept, a
    longer one becomes its first 25 characters, ``-`` and 6 hex digits of the SHA-256 of the whole
    name (:func:`fit_name`).
    """
    valid = _LB_INVALID.sub("-", name).strip("-") or "web"
    if len(valid) <= MAX_LB_NAME:
        return valid
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_CHARS]
    return f"{valid[: MAX_LB_NAME - _HASH_CHARS - 1].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class AlbHealthCheck:
    """A target group health check, in the ALB's ranges."""

    path: str
    interval_seconds: int
    timeout_seconds: int
    healthy_threshold: int
    unhealthy_threshold: int


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def alb_health_check(check: HealthCheck) -> AlbHealthCheck:
    """App Runner's health check settings mapped to an ALB target group's.

    Same meaning, other ranges, so values are clamped into them: interval 5-300 s (App Runner allows
    1-20), timeout 2-120 s and shorter than the interval, healthy and unhealthy thresholds 2-10 (App
    Runner allows 1-20). So the default (10 s / 5 s / 1 up / 5 down) becomes 10 s / 5 s / 2 up / 5 down.

    A ``TCP`` check (App Runner: "the port accepts connections") becomes an HTTP check of ``/``
    answered with any 2xx or 3xx status: an HTTP target group cannot run a TCP check, and ``/`` of a
    web app that is up answers (a redirect to a login page counts).
    """
    path = check.path if check.protocol is HealthCheckProtocol.HTTP else "/"
    interval = _clamp(check.interval_seconds, 5, 300)
    return AlbHealthCheck(
        path=path,
        interval_seconds=interval,
        timeout_seconds=_clamp(check.timeout_seconds, 2, min(120, interval - 1)),
        healthy_threshold=_clamp(check.healthy_threshold, 2, 10),
        unhealthy_threshold=_clamp(check.unhealthy_threshold, 2, 10),
    )


class WebLoadBalancerProps(BaseModel):
    """Settings of a :class:`WebLoadBalancer`."""

    model_config = FROZEN_WITH_CONSTRUCTS

    name: str = Field(min_length=1, max_length=255)
    """The service's name: security groups are ``<name>-alb`` and ``<name>-tasks``; the load balancer
    and the target group are :func:`lb_name` of it."""
    network: Network
    """The load balancer goes into the public subnets; both security groups into the VPC."""
    port: int = Field(default=3000, strict=True, ge=1, le=65535)
    """The container port the target group sends traffic to."""
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    """Mapped by :func:`alb_health_check`."""
    protected: bool = Field(default=False, strict=True)
    """Default: off (dev). On (stg, prd): deletion protection, and access logs in an S3 bucket of the
    load balancer's own (:class:`~constructs_lib.network.access_logs.AccessLogsBucket`)."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)


class WebLoadBalancer(Construct):
    """An internet-facing ALB, its security groups, its ``ip`` target group and its listeners.

    Security groups: the load balancer's admits TCP 80 and 443 from anywhere (IPv4 and IPv6) and sends
    only to the tasks' group on the app port; the tasks' admits only the load balancer's group on the
    app port and sends only TCP 443 (ECR, CloudWatch Logs, Secrets Manager, Okta, Supabase). Rules
    are separate ``aws_vpc_security_group_*_rule`` resources: one rule changes without touching others.

    The target group is named once, so a change that replaces it (port, VPC) has to remove the old one
    first, which fails while a listener uses it: change the service name along with such a change.
    """

    def __init__(self, scope: Construct, id_: str, *, props: WebLoadBalancerProps) -> None:
        with unique_id("WebLoadBalancer", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        tags = dict(props.tags) or None
        network = props.network
        self.security_group = _aws.SecurityGroup(
            self,
            "alb-sg",
            name=fit_name(props.name, _MAX_SG_NAME, "-alb"),
            description=f"Load balancer of {props.name}: HTTP and HTTPS from the internet",
            vpc_id=network.vpc_id,
            tags=tags,
        )
        self.tasks_security_group = _aws.SecurityGroup(
            self,
            "tasks-sg",
            name=fit_name(props.name, _MAX_SG_NAME, "-tasks"),
            description=f"Tasks of {props.name}: the app port from the load balancer only",
            vpc_id=network.vpc_id,
            tags=tags,
        )
        # Read once: every attribute read is a round trip to the jsii kernel.
        alb_sg = Address("aws_security_group", self.security_group).ref("id")
        tasks_sg = Address("aws_security_group", self.tasks_security_group).ref("id")
        self._alb_sg_id, self._tasks_sg_id = alb_sg, tasks_sg
        self._rules(alb_sg, tasks_sg)

        check = alb_health_check(props.health_check)
        name = lb_name(props.name)
        self.target_group = _aws.LbTargetGroup(
            self,
            "target-group",
            name=name,
            port=props.port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=network.vpc_id,
            # Tasks drain for 30 s (the default is 300): a deploy replaces them sooner.
            deregistration_delay="30",
            health_check=_aws.LbTargetGroupHealthCheck(
                enabled=True,
                protocol="HTTP",
                path=check.path,
                port="traffic-port",
                matcher="200-399",
                interval=check.interval_seconds,
                timeout=check.timeout_seconds,
                healthy_threshold=check.healthy_threshold,
                unhealthy_threshold=check.unhealthy_threshold,
            ),
            tags=tags,
        )
        target_group = Address("aws_lb_target_group", self.target_group)
        self._target_group_arn = target_group.ref("arn")
        self._target_group_arn_suffix = target_group.ref("arn_suffix")

        self.access_logs: AccessLogsBucket | None = None
        if props.protected:
            self.access_logs = AccessLogsBucket(self, "access-logs", name=props.name, tags=props.tags)
        self.load_balancer = _aws.Lb(
            self,
            "alb",
            name=name,
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            subnets=list(network.public_subnet_ids),
            security_groups=[alb_sg],
            # Requests with header names HTTP does not allow never reach the app (request smuggling).
            drop_invalid_header_fields=True,
            enable_deletion_protection=props.protected,
            access_logs=(
                _aws.LbAccessLogs(bucket=self.access_logs.bucket_name, enabled=True)
                if self.access_logs is not None
                else None
            ),
            # ELB checks that it may write to the bucket when logging is turned on.
            depends_on=[self.access_logs.policy] if self.access_logs is not None else None,
            tags=tags,
        )
        alb = Address("aws_lb", self.load_balancer)
        self._arn, self._arn_suffix = alb.ref("arn"), alb.ref("arn_suffix")
        self._dns_name, self._zone_id = alb.ref("dns_name"), alb.ref("zone_id")

        self.http_listener = _aws.LbListener(
            self,
            "http",
            load_balancer_arn=self._arn,
            port=80,
            protocol="HTTP",
            default_action=[self._forward()],
            tags=tags,
        )
        self.https_listener: _aws.LbListener | None = None

    def _forward(self) -> _aws.LbListenerDefaultAction:
        return _aws.LbListenerDefaultAction(type="forward", target_group_arn=self._target_group_arn)

    def _rules(self, alb_sg: str, tasks_sg: str) -> None:
        port = self.props.port
        for listener_port in (80, 443):
            for family, cidr in (("v4", "0.0.0.0/0"), ("v6", "::/0")):
                _aws.VpcSecurityGroupIngressRule(
                    self,
                    f"alb-in-{listener_port}-{family}",
                    security_group_id=alb_sg,
                    description=f"HTTP{'S' if listener_port == 443 else ''} from the internet",
                    ip_protocol="tcp",
                    from_port=listener_port,
                    to_port=listener_port,
                    cidr_ipv4=cidr if family == "v4" else None,
                    cidr_ipv6=cidr if family == "v6" else None,
                )
        _aws.VpcSecurityGroupEgressRule(
            self,
            "alb-out-tasks",
            security_group_id=alb_sg,
            description="To the tasks on the app port",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=tasks_sg,
        )
        _aws.VpcSecurityGroupIngressRule(
            self,
            "tasks-in-alb",
            security_group_id=tasks_sg,
            description="The app port from the load balancer",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=alb_sg,
        )
        _aws.VpcSecurityGroupEgressRule(
            self,
            "tasks-out-https",
            security_group_id=tasks_sg,
            description="HTTPS to AWS APIs (ECR, Logs, Secrets Manager) and the app's providers",
            ip_protocol="tcp",
            from_port=_TASK_EGRESS_PORT,
            to_port=_TASK_EGRESS_PORT,
            cidr_ipv4="0.0.0.0/0",
        )

    def use_certificate(self, certificate_arn: str) -> _aws.LbListener:
        """Serve HTTPS on :443 with this (issued) ACM certificate, and turn :80 into a 301 to HTTPS.

        Pass the ARN from ``aws_acm_certificate_validation``, so the listener waits until ACM has
        issued the certificate. One certificate per load balancer: a second call is refused.
        """
        if self.https_listener is not None:
            raise ValueError(
                f"WebLoadBalancer {self.props.name!r} already serves HTTPS with a certificate; one custom "
                "domain (with its www name) per load balancer"
            )
        self.https_listener = _aws.LbListener(
            self,
            "https",
            load_balancer_arn=self._arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=HTTPS_POLICY,
            certificate_arn=certificate_arn,
            default_action=[self._forward()],
            tags=dict(self.props.tags) or None,
        )
        self.http_listener.put_default_action(
            [
                _aws.LbListenerDefaultAction(
                    type="redirect",
                    redirect=_aws.LbListenerDefaultActionRedirect(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ]
        )
        return self.https_listener

    @property
    def listeners(self) -> tuple[_aws.LbListener, ...]:
        """The listeners so far (HTTP, and HTTPS once a certificate is added)."""
        if self.https_listener is None:
            return (self.http_listener,)
        return (self.http_listener, self.https_listener)

    @property
    def arn(self) -> str:
        """The load balancer's ARN (a token until apply)."""
        return self._arn

    @property
    def arn_suffix(self) -> str:
        """``app/<name>/<id>``: the CloudWatch dimension, and half of a request-count scaling label."""
        return self._arn_suffix

    @property
    def dns_name(self) -> str:
        """The load balancer's DNS name (a token until apply)."""
        return self._dns_name

    @property
    def zone_id(self) -> str:
        """The load balancer's canonical hosted zone, for alias records."""
        return self._zone_id

    @property
    def target_group_arn(self) -> str:
        """The target group's ARN: the service registers its tasks here."""
        return self._target_group_arn

    @property
    def target_group_arn_suffix(self) -> str:
        """``targetgroup/<name>/<id>``: the other half of a request-count scaling label."""
        return self._target_group_arn_suffix

    @property
    def security_group_id(self) -> str:
        """The load balancer's security group."""
        return self._alb_sg_id

    @property
    def tasks_security_group_id(self) -> str:
        """The tasks' security group: the app port from the load balancer only."""
        return self._tasks_sg_id

    @property
    def url(self) -> str:
        """``http://<dns name>``, or ``https://<dns name>`` once a certificate is added (the
        certificate names the custom domain, not this name: use the domain's URL then)."""
        scheme = "http" if self.https_listener is None else "https"
        return f"{scheme}://{self._dns_name}"
