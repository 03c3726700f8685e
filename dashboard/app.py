"""plaintrail dashboard: `streamlit run dashboard/app.py` (or `plaintrail dashboard`).

Log in (streamlit-authenticator, bcrypt hashes in HOME/users.yaml), then the pages your role may open.
"""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth

from dashboard import data
from plaintrail import users

PAGES = {  # page name -> (script under views/, title, icon)
    "leaderboard": ("views/redblack.py", "Red/black list 红黑榜", ":material/leaderboard:"),
    "timeline": ("views/timeline.py", "Complaint timeline", ":material/manage_search:"),
    "scores": ("views/scores.py", "Assessment scores", ":material/payments:"),
    "sla": ("views/sla.py", "SLA monitor", ":material/timer:"),
    "hot": ("views/hot.py", "Hot issues 热点问题", ":material/local_fire_department:"),
    "staff": ("views/staff.py", "Staff ranking 客服排名", ":material/military_tech:"),
}


def login() -> bool:
    home = data.settings().home
    config = users.load(home)
    if not config["credentials"]["usernames"]:
        st.error(f"No dashboard users yet: run `plaintrail --home {home} users add NAME --role management`.")
        return False
    cookie = config["cookie"]
    auth = stauth.Authenticate(config["credentials"], cookie["name"], cookie["key"], cookie["expiry_days"],
                               auto_hash=False)
    auth.login(location="main", fields={"Form name": "plaintrail · log in"})
    if st.session_state.get("authentication_status") is False:
        st.error("Wrong user name or password.")
    if not st.session_state.get("authentication_status"):
        return False
    st.session_state["viewer"] = users.viewer(home, st.session_state["username"])
    viewer = st.session_state["viewer"]
    with st.sidebar:
        st.write(f"**{viewer.user}** · {viewer.role}" + (f" · {viewer.unit}" if viewer.unit else ""))
        auth.logout("Log out", location="sidebar")
    return True


def main() -> None:
    st.set_page_config(page_title="plaintrail", page_icon=":material/fact_check:", layout="wide")
    if not login():
        return
    viewer = st.session_state["viewer"]
    pages = [st.Page(script, title=title, icon=icon, url_path=name)
             for name, (script, title, icon) in PAGES.items() if viewer.may_open(name)]
    if not pages:
        st.info("Your role has no page yet.")
        return
    st.navigation(pages).run()


main()
