"""Sign-in and the caller of each request: the middleware, the login routes, the viewer.

Sits between the app's parts (callbacks, API) and its services: the middleware resolves the
caller from the session cookie or a Bearer token on every request, and pages, callbacks and
routes ask :func:`viewing` (or take ``viewer: ViewerDep``) for the
:class:`~twin_dashboard.domain.access.Viewer`.
"""
