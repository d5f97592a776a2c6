"""twin-dashboard: a digital-twin map command dashboard for grassroots city governance."""

__version__ = "0.1.0"
