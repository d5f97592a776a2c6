"""The login page: plain HTML and one stylesheet (assets/login.css) — no script, no CDN.

It fits the wall (1920×1080, dark), the desk (1366×768) and a tablet in portrait (768×1024,
touch targets of at least 44 px); the language follows ``?lang=`` (Chinese by default).
"""

from __future__ import annotations

from html import escape

from twin_dashboard.i18n import t


def login_html(lang: str, csrf: str, target: str | None, error: str | None = None) -> str:
    """The page; ``error`` is a catalog key (``login.locked:<seconds>`` carries the wait)."""
    other = "en" if lang == "zh" else "zh"
    query = f"?lang={other}" + (f"&amp;next={escape(target, quote=True)}" if target else "")
    message = ""
    if error:
        key, _, seconds = error.partition(":")
        text = t(key, lang, seconds=seconds) if seconds else t(key, lang)
        message = f'<p class="login-error" role="alert">{escape(text)}</p>'
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value, quote=True)}">'
        for name, value in (("csrf", csrf), ("lang", lang), ("next", target or "")))
    return f"""<!doctype html>
<html lang="{'en' if lang == 'en' else 'zh-CN'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t('login.title', lang))} · {escape(t('app.title', lang))}</title>
<link rel="stylesheet" href="/assets/login.css">
</head>
<body class="login-page">
<main class="login-card">
<h1 class="login-app">{escape(t('app.title', lang))}</h1>
<h2 class="login-title">{escape(t('login.title', lang))}</h2>
{message}
<form class="login-form" method="post" action="/login" autocomplete="on">
{hidden}
<label for="username">{escape(t('login.user', lang))}</label>
<input id="username" name="username" type="text" autocomplete="username" required
 autocapitalize="none" spellcheck="false" maxlength="64" autofocus>
<label for="password">{escape(t('login.password', lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
 maxlength="256">
<button type="submit" id="login-submit">{escape(t('login.submit', lang))}</button>
</form>
<p class="login-note">{escape(t('login.note', lang))}</p>
<a class="login-lang" href="/login{query}">{escape(t('login.lang', lang))}</a>
</main>
</body>
</html>
"""
