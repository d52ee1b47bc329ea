"""``retrostats reproduce``: regenerate every table, number, figure and the HTML report from the shipped data."""

from .pipeline import Context, Step, list_steps, reproduce

__all__ = ["reproduce", "Context", "Step", "list_steps"]
