"""The pages of DESIGN.md §4: /wall, /desk, /tablet, and / which picks one by viewport."""

from __future__ import annotations

from dash import dcc, html, register_page

from twin_dashboard.i18n import lang_of, t

PICKER_LOCATION = "picker-location"
SCREENS: tuple[str, ...] = ("wall", "desk", "tablet")


def _picker(**_query: str) -> html.Div:
    return html.Div([dcc.Location(id=PICKER_LOCATION, refresh=True)], className="picker")


def _screen_page(screen: str):
    def layout(subdistrict: str | None = None, neighborhood: str | None = None,
               lang: str | None = None, rotate: str | None = None, **_other: str):
        from twin_dashboard.layouts import screens

        return screens.build(screen, subdistrict=subdistrict, neighborhood=neighborhood,
                             lang=lang_of(lang), rotate=rotate)

    return layout


def register_pages() -> None:
    """Register the pages with Dash's page registry (idempotent: same module keys)."""
    register_page("twin_dashboard.pages.picker", path="/", name="picker",
                  title=t("app.title"), layout=_picker)
    for screen in SCREENS:
        register_page(f"twin_dashboard.pages.{screen}", path=f"/{screen}", name=screen,
                      title=f"{t('app.title')} · {t('screen.' + screen)}",
                      layout=_screen_page(screen))
