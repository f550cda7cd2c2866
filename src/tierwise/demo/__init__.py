"""Realistic, reproducible demo data, so every analysis has something to find."""

from tierwise.demo.generator import DemoSummary, generate

__all__ = ["DemoSummary", "generate"]
