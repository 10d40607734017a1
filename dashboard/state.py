"""Names of the session-state keys the shell owns.

Session state holds only the signed-in user's id, the language, the time of last activity and UI flags — never a
password, a token or a key. Pages name their own keys with their page prefix (e.g. `klienci_…`).
"""

from __future__ import annotations

USER_ID = "user_id"
LAST_ACTIVITY = "last_activity"
LANG = "lang"
LANG_SWITCH = "lang_switch"  # the sidebar widget; LANG survives pages that do not draw it
LOGIN_USERNAME = "login_username"
LOGIN_PASSWORD = "login_password"
LOGIN_ERROR = "login_error"
LOGIN_NOTICE = "login_notice"
FLASH = "flash"
WEB_SESSION = "web_session"  # the row id of the signed-in browser's web session (not a secret)
BIND_COOKIE = "bind_cookie"  # a login just happened: hand the browser its cookie in this run
CLEAR_COOKIE = "clear_cookie"  # a logout just happened: ask the browser to drop its cookie

# Kept when a user signs out, so the login page stays in the chosen language.
KEPT_ON_SIGN_OUT = frozenset({LANG, LANG_SWITCH})
