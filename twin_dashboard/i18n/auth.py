"""Strings of sign-in and personal data: the login page, the reason form. key -> (zh, en)."""

TEXT: dict[str, tuple[str, str]] = {
    "login.title": ("登录", "Sign in"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.locked": ("失败次数过多，请 {seconds} 秒后再试",
                     "Too many failed attempts: try again in {seconds} s"),
    "login.expired": ("页面已过期，请重新登录", "The form expired: please sign in again"),
    "login.lang": ("English", "中文"),
    "login.note": ("仅限授权人员使用，所有操作均被记录",
                   "Authorised staff only; all actions are recorded"),
    "reveal.prompt": ("查看个人信息需说明理由（将被记录）",
                      "Seeing personal data needs a reason (it is recorded)"),
    "reveal.reason": ("理由", "Reason"),
    "reveal.submit": ("说明理由并查看", "State reason and show"),
    "reveal.done": ("已记录理由，{minutes} 分钟内可查看个人信息",
                    "Reason recorded: personal data shown for {minutes} min"),
    "reveal.short": ("理由至少 4 个字", "A reason needs at least 4 characters"),
    "details.masked": ("（已脱敏）", "(masked)"),
}
