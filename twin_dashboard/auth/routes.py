"""``/login``, ``/logout`` and ``/kiosk/enrol/<token>``: how a browser gets (and drops) a session.

The login form is plain HTML from :mod:`twin_dashboard.auth.login_page` with a double-submit
token (a random cookie echoed in a hidden field), since no session exists yet to hold one. A
session sets two cookies: ``twin_session`` (HttpOnly, the id) and ``_csrf_token`` (readable by
Dash's renderer, which sends it back as ``X-CSRFToken``); both SameSite=Strict.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from twin_dashboard.auth.login_page import login_html
from twin_dashboard.auth.middleware import CSRF_COOKIE, SESSION_COOKIE
from twin_dashboard.domain import audit, sessions
from twin_dashboard.domain.accounts import viewer_of
from twin_dashboard.domain.roles import ROLES
from twin_dashboard.domain.tokens import hash_token
from twin_dashboard.i18n import lang_of
from twin_dashboard.services import ServicesDep

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "twin_login_csrf"
MAX_FORM_BYTES = 4096


def safe_next(value: str | None) -> str | None:
    """A same-site relative path to return to, or None (open redirects refused)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(c in value for c in "\r\n\\") or value.startswith(("/login", "/logout")):
        return None
    return value


@router.get("/login")
def login_form(request: Request, next: str | None = None, lang: str | None = None) -> Response:
    return _form(request, lang_of(lang), safe_next(next))


def _form(request: Request, lang: str, target: str | None, error: str | None = None,
          status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    page = HTMLResponse(login_html(lang, token, target, error), status_code=status,
                        headers={"Cache-Control": "no-store"})
    page.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                    secure=_https(request), path="/login")
    return page


@router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    body = await request.body()
    form = {k: v[0] for k, v in parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"),
                                           keep_blank_values=True).items()}
    lang, target = lang_of(form.get("lang")), safe_next(form.get("next"))
    sent, kept = form.get("csrf", ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (sent and kept and hmac.compare_digest(sent, kept)):
        return _form(request, lang, target, "login.expired", 400)
    ip = request.client.host if request.client else None
    try:
        opened = await run_in_threadpool(sessions.sign_in, services.store,
                                         form.get("username", "").strip(),
                                         form.get("password", ""), ip, services.now())
    except sessions.SignInRefused as err:
        if err.retry_after:
            return _form(request, lang, target, f"login.locked:{err.retry_after}", 429)
        return _form(request, lang, target, "login.failed", 401)
    home = ROLES[opened.user["role"]].home
    where = target or f"/{home}" + (f"?lang={lang}" if lang != "zh" else "")
    response = RedirectResponse(where, status_code=303)
    _session_cookies(response, request, opened,
                     int(sessions.DEFAULT_POLICY.absolute.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/logout")
def logout(request: Request, services: ServicesDep, lang: str | None = None) -> Response:
    ip = request.client.host if request.client else None
    sessions.end(services.store, request.cookies.get(SESSION_COOKIE), services.now(), ip)
    query = f"?lang={lang}" if lang_of(lang) != "zh" else ""
    response = RedirectResponse(f"/login{query}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/kiosk/enrol/{token}")
def enrol(token: str, request: Request, services: ServicesDep) -> Response:
    """Spend a kiosk's one-time link: a long-lived kiosk session, then its wall."""
    store, now = services.store, services.now()
    name = store.accounts.use_enrolment(hash_token(token), int(now.timestamp()))
    user = store.accounts.user(name) if name else None
    if user is None or user["disabled_at"] is not None:
        return HTMLResponse("<!doctype html><title>enrolment</title><p>This enrolment link is "
                            "unknown, used or expired: create a new one with "
                            "<code>twin-dashboard kiosk create</code>.</p>", status_code=404)
    opened = sessions.open_session(store, user, now)
    ip = request.client.host if request.client else None
    audit.record(store, now, name, "kiosk.enrol", name, ip=ip)
    viewer = viewer_of(store, user)
    places = services.atlas.places()
    home = viewer.home(places)
    query = {k: v for k, v in home.selection.items() if v}
    response = RedirectResponse("/wall" + (f"?{urlencode(query)}" if query else ""), 303)
    _session_cookies(response, request, opened, int(sessions.DEFAULT_POLICY.kiosk.total_seconds()))
    return response


def _session_cookies(response: Response, request: Request, opened: sessions.Opened,
                     max_age: int) -> None:
    secure = _https(request)
    response.set_cookie(SESSION_COOKIE, opened.session_id, max_age=max_age, httponly=True,
                        samesite="strict", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, opened.csrf, max_age=max_age, httponly=False,
                        samesite="strict", secure=secure, path="/")


def _https(request: Request) -> bool:
    return request.url.scheme == "https"
