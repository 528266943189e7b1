"""Scaffolding a CORA infra project: generate one and check one."""
