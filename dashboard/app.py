"""plaintrail dashboard: `streamlit run dashboard/app.py` (or `plaintrail dashboard`).

Log in (streamlit-authenticator, bcrypt hashes in HOME/users.yaml; failed attempts limited per user and per
address; a password change ends the user's sessions), then the pages your role may open; a link to a page
survives the login.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from dashboard import data
from plaintrail import users
from plaintrail.logins import Limits, LoginGuard

PAGES = {  # page name -> (script under views/, title, icon)
    "leaderboard": ("views/redblack.py", "Red/black list 红黑榜", ":material/leaderboard:"),
    "timeline": ("views/timeline.py", "Complaint timeline", ":material/manage_search:"),
    "scores": ("views/scores.py", "Assessment scores", ":material/payments:"),
    "sla": ("views/sla.py", "SLA monitor", ":material/timer:"),
    "hot": ("views/hot.py", "Hot issues 热点问题", ":material/local_fire_department:"),
    "staff": ("views/staff.py", "Staff ranking 客服排名", ":material/military_tech:"),
    "access": ("views/access.py", "Access log 访问记录", ":material/visibility:"),
}
LOCKED_DOWN = {  # also in .streamlit/config.toml and on `plaintrail dashboard`'s command line
    "client.toolbarMode": "minimal",  # no Deploy / Rerun / Clear cache for bank users
    "client.disableDataExport": True,  # no table's own CSV download: every export is a recorded button
}


def login() -> bool:
    """The login form, or the session already logged in (or a re-login cookie issued since the user's password
    was last set). Failed attempts are counted per user and per address (plaintrail/logins.py); a password
    changed since this session logged in ends it."""
    home = data.settings().home
    config = users.load(home)
    if not config["credentials"]["usernames"]:
        st.error(f"No dashboard users yet: run `plaintrail --home {home} users add NAME --role management`.")
        return False
    cookie = config["cookie"]
    auth = stauth.Authenticate(config["credentials"], cookie["name"], cookie["key"], cookie["expiry_days"],
                               auto_hash=False)
    if not st.session_state.get("authentication_status"):
        for stale in ("password_changed", "viewer"):  # what a session logged out before held
            st.session_state.pop(stale, None)
        token = auth.cookie_controller.get_cookie()
        if token and users.cookie_still_good(config, token):
            auth.authentication_controller.login(token=token)
        if not st.session_state.get("authentication_status"):
            form(auth, config)
    if not st.session_state.get("authentication_status"):
        return False
    user = st.session_state["username"]
    if st.session_state.setdefault("password_changed", users.password_changed(config, user)) != \
            users.password_changed(config, user):
        auth.logout(location="unrendered")
        for stale in ("password_changed", "viewer"):
            st.session_state.pop(stale, None)
        st.warning("Your password was changed since you logged in: log in again.")
        return False
    st.session_state["viewer"] = users.viewer(home, user)
    viewer = st.session_state["viewer"]
    with st.sidebar:
        st.write(f"**{viewer.user}** · {viewer.role}" + (f" · {viewer.unit}" if viewer.unit else ""))
        auth.logout("Log out", location="sidebar")
    return True


def form(auth: stauth.Authenticate, config: dict[str, Any]) -> None:
    """Our own form around the authenticator's check, so a locked user or address is refused before any
    password is tried, and every failure is counted where all dashboard processes see it."""
    guard = LoginGuard(data.settings().home, Limits.of(config))
    address = st.context.ip_address  # None on loopback (and no text under the test runner): per user only
    address = address if isinstance(address, str) else None
    slot = st.empty()
    with slot.form("login"):
        st.subheader("plaintrail · log in")
        user = st.text_input("Username", autocomplete="off").strip()
        password = st.text_input("Password", type="password", autocomplete="off")
        submitted = st.form_submit_button("Login")
    if not submitted or not user:
        return
    refused = guard.refused(user, address)
    if refused:
        st.error(refused)
        return
    try:
        ok = bool(auth.authentication_controller.login(user, password))
    except LoginError:
        ok = False
    if not ok:
        st.session_state["authentication_status"] = False
        guard.failed(user, address)
        st.error("Wrong user name or password.")
        return
    guard.succeeded(user)
    auth.cookie_controller.set_cookie()
    slot.empty()


def main() -> None:
    for option, value in LOCKED_DOWN.items():
        if st.get_option(option) != value:
            st.set_option(option, value)
    st.set_page_config(page_title="plaintrail", page_icon=":material/fact_check:", layout="wide")
    if not login():
        # Every page, hidden: the page a link asked for (/scores, /timeline?complaint=...) stays in the address
        # and opens once logged in.
        st.navigation([st.Page(script, title=title, icon=icon, url_path=name)
                       for name, (script, title, icon) in PAGES.items()], position="hidden")
        return
    viewer = st.session_state["viewer"]
    pages = [st.Page(script, title=title, icon=icon, url_path=name)
             for name, (script, title, icon) in PAGES.items() if viewer.may_open(name)]
    if not pages:
        st.info("Your role has no page yet.")
        return
    st.navigation(pages).run()


main()
