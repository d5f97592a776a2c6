"""The pages (/wall, /desk, /tablet, and / which picks one by viewport) and page-level behaviour.

A page's layout function is the page's adapter: it narrows the URL's scope to the signed-in
viewer's (a place outside it, or none, opens the viewer's own area), gathers the first map paint
and the inbox owner (the signed-in person, never a guess from the URL), and hands them to
``layouts/screens.py``. Dash keeps pages in a process-wide registry, so the layout finds the
serving app's services through ``services.serving()`` and the viewer through
``auth.context.viewing()`` (both set per request), not a closure.
"""

from __future__ import annotations

import json
import logging

from dash import Dash, Input, Output, dcc, html, register_page

from twin_dashboard.auth.context import viewing
from twin_dashboard.callbacks.map import first_paint
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.places import Places
from twin_dashboard.i18n import LANGS, lang_of, t
from twin_dashboard.layouts import ids, screens
from twin_dashboard.layouts.context import UserBadge
from twin_dashboard.profiles import SCREENS, profile
from twin_dashboard.services import Services, serving

log = logging.getLogger(__name__)
PICKER_LOCATION = "picker-location"

PICK_SCREEN = """
function(pathname) {
    const w = window.innerWidth, h = window.innerHeight;
    const screen = w > 1920 ? "wall"
        : (Math.min(w, h) <= 820 || (navigator.maxTouchPoints > 0 && w <= 1366)) ? "tablet"
        : "desk";
    return "/" + screen + window.location.search;
}
"""

# Dash's page title is fixed per page; the language comes from the query and the district's
# name from the data (the header title's tooltip names it), so set it here: "<title> · <screen>".
SET_TITLE = """
function(screen, title) {
    const screens = %s;
    const heading = typeof title === "string" ? title
        : (document.querySelector(".brand h1") || {}).title;
    if (screen && screens[screen.lang] && heading) {
        const name = screens[screen.lang][screen.screen];
        document.title = name ? heading + " · " + name : document.title;
    }
    return window.dash_clientside.no_update;
}
"""


def screen_page(services: Services, viewer: Viewer, screen: str, *,
                subdistrict: str | None = None, neighborhood: str | None = None,
                lang: str | None = None, rotate: str | None = None,
                district: str | None = None) -> html.Div:
    """The page of ``screen`` for the query parameters, inside ``viewer``'s scope (unknown
    place ids are ignored; a place outside the scope opens the viewer's home; ``district``:
    one district of a city, which only ever narrows)."""
    lang = lang_of(lang)
    rotate = rotate or (str(viewer.rotate_s) if viewer.rotate_s else None)  # a kiosk's own
    try:
        places = services.atlas.places(lang)
    except Exception:  # an unseeded or broken store still renders a page (with no names)
        log.exception("no places for the page")
        places = Places()
    scope = viewer.narrow(places, subdistrict, neighborhood, district)
    try:
        paint = first_paint(services, scope, screen, lang)
    except Exception:  # a store without geography: the page, with an empty map
        log.exception("no map for the page")
        paint = None
    inbox = profile(screen).inbox and not viewer.read_only
    actor = viewer.person_id if inbox else None  # whose inbox the tablet shows
    user = UserBadge(viewer.name, viewer.role, admin=viewer.spec.admin,
                     kiosk=viewer.spec.area == "kiosk", acts=not viewer.read_only,
                     patrol_zone=min(viewer.zones) if viewer.zones else None)
    return screens.build(screen, lang=lang, places=viewer.areas(places),
                         selection=scope.selection, rotate=rotate, paint=paint, actor=actor,
                         user=user, test_hooks=services.settings.test_hooks)


def _page(screen: str):
    def layout(subdistrict: str | None = None, neighborhood: str | None = None,
               lang: str | None = None, rotate: str | None = None,
               district: str | None = None, **_other: str):
        return screen_page(serving(), viewing(), screen, subdistrict=subdistrict,
                           neighborhood=neighborhood, lang=lang, rotate=rotate,
                           district=district)

    return layout


def _picker(**_query: str) -> html.Div:
    return html.Div([dcc.Location(id=PICKER_LOCATION, refresh=True)], className="picker")


def register_pages() -> None:
    """Register the pages with Dash's page registry (idempotent: same module keys)."""
    register_page("twin_dashboard.pages.picker", path="/", name="picker",
                  title=t("app.title"), layout=_picker)
    for screen in SCREENS:
        register_page(f"twin_dashboard.pages.{screen}", path=f"/{screen}", name=screen,
                      title=f"{t('app.title')} · {t('screen.' + screen)}", layout=_page(screen))


def _titles() -> dict[str, dict[str, str]]:
    """Each screen's name per language (the page title follows the header's title)."""
    return {lang: {s: t("screen." + s, lang) for s in SCREENS} for lang in LANGS}


def register(app: Dash, services: Services) -> None:
    app.clientside_callback(PICK_SCREEN, Output(PICKER_LOCATION, "href"),
                            Input(PICKER_LOCATION, "pathname"))
    app.clientside_callback(SET_TITLE % json.dumps(_titles(), ensure_ascii=False),
                            Output(ids.SCREEN, "id"), Input(ids.SCREEN, "data"),
                            Input(ids.APP_TITLE, "title", allow_optional=True))
