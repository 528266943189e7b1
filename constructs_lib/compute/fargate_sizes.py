"""Fargate's task sizes: the CPU values and, for each, the memory a task may have.

From AWS's "Amazon ECS task definition parameters for Fargate" (Task size): memory in MiB, for
Linux containers. 8 and 16 vCPU need platform version 1.4.0 or later (the default, ``LATEST``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

__all__ = [
    "FARGATE_MEMORY",
    "CpuArchitecture",
    "FargateCpu",
    "check_fargate_cpu_memory",
    "fargate_memory_values",
]


class FargateCpu(StrEnum):
    """Fargate task CPU, in CPU units (1024 = 1 vCPU; the API's value)."""

    QUARTER_VCPU = "256"
    HALF_VCPU = "512"
    ONE_VCPU = "1024"
    TWO_VCPU = "2048"
    FOUR_VCPU = "4096"
    EIGHT_VCPU = "8192"
    SIXTEEN_VCPU = "16384"


class CpuArchitecture(StrEnum):
    """The CPU the task runs on; the image must be built for it."""

    X86_64 = "X86_64"
    ARM64 = "ARM64"
    """Graviton: about 20 % cheaper per vCPU-hour; needs an ``arm64`` (or multi-arch) image."""


def _gib(first: int, last: int, step: int) -> tuple[int, ...]:
    return tuple(range(first * 1024, last * 1024 + 1, step * 1024))


#: CPU → the memory values (MiB) Fargate accepts with it.
FARGATE_MEMORY: Mapping[FargateCpu, tuple[int, ...]] = {
    FargateCpu.QUARTER_VCPU: (512, 1024, 2048),
    FargateCpu.HALF_VCPU: _gib(1, 4, 1),
    FargateCpu.ONE_VCPU: _gib(2, 8, 1),
    FargateCpu.TWO_VCPU: _gib(4, 16, 1),
    FargateCpu.FOUR_VCPU: _gib(8, 30, 1),
    FargateCpu.EIGHT_VCPU: _gib(16, 60, 4),
    FargateCpu.SIXTEEN_VCPU: _gib(32, 120, 8),
}


def fargate_memory_values() -> frozenset[int]:
    """Every memory value (MiB) some Fargate CPU accepts."""
    return frozenset(m for values in FARGATE_MEMORY.values() for m in values)


def _ranges(values: tuple[int, ...]) -> str:
    if len(values) <= 3:
        return ", ".join(str(v) for v in values)
    step = values[1] - values[0]
    return f"{values[0]}-{values[-1]} in steps of {step}"


def check_fargate_cpu_memory(cpu: str, memory: str) -> None:
    """Raise ``ValueError`` unless Fargate offers ``memory`` MiB with ``cpu`` units."""
    try:
        size = FargateCpu(cpu)
    except ValueError:
        allowed = ", ".join(c.value for c in FargateCpu)
        raise ValueError(f"cpu {cpu} is not a Fargate task size; allowed: {allowed}") from None
    values = FARGATE_MEMORY[size]
    if not memory.isdigit() or int(memory) not in values:
        raise ValueError(
            f"memory {memory} MB is not available on Fargate with cpu {cpu}; "
            f"allowed memory for this cpu: {_ranges(values)} MB"
        )
