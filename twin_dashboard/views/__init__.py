"""Pure functions of data: deck.gl layer descriptions, plotly figures, table rows.

The names other steps of the flow use are re-exported here; the ``_map_*`` modules are private.
"""

from twin_dashboard.views._map_base import base_board, base_spec
from twin_dashboard.views._map_view import ViewState, view_for
from twin_dashboard.views.map_layers import (
    COVERAGE_CLASSES,
    COVERAGE_COLORS,
    TRACK_AGES,
    overlay_spec,
    track_colors,
)

__all__ = [
    "COVERAGE_CLASSES", "COVERAGE_COLORS", "TRACK_AGES", "ViewState", "base_board", "base_spec",
    "overlay_spec", "track_colors", "view_for",
]
