"""``retrostats reproduce``: regenerate every table, number, figure and the HTML report from the shipped data."""

from .pipeline import Context, Step, reproduce, steps

__all__ = ["reproduce", "Context", "Step", "steps"]
