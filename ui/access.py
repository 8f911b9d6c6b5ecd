"""Who may start and stop training runs: anyone on this machine, a signed-in person elsewhere.

The app listens on localhost unless it is told otherwise (.streamlit/config.toml). Served to a
network, it still shows every page, but starting, stopping and resuming runs (which take the
machine's cores and disk) needs a sign-in: the shared password in .streamlit/secrets.toml
(``[access] password = "..."``) or the GEN_CORE_PASSWORD environment variable, or Streamlit's
own OIDC sign-in (st.login) where it is configured. Each run records who started it.
"""

from __future__ import annotations

import hmac
import os

import streamlit as st

LOCAL = ("localhost", "127.0.0.1", "::1")
USER = "access_user"  # session key of the signed-in name


def _password() -> str:
    try:
        return str(st.secrets.get("access", {}).get("password", "")) or os.environ.get(
            "GEN_CORE_PASSWORD", ""
        )
    except FileNotFoundError:  # no secrets file at all
        return os.environ.get("GEN_CORE_PASSWORD", "")


def served_locally() -> bool:
    """Whether only this machine can reach the app (Streamlit's server.address)."""
    return str(st.get_option("server.address") or "") in LOCAL


def user() -> str:
    """The signed-in person's name ("" when nobody signed in)."""
    if getattr(st.user, "is_logged_in", False):
        return str(st.user.get("email") or st.user.get("name") or "signed in")
    return str(st.session_state.get(USER, ""))


def may_change_runs() -> bool:
    """Starting, stopping and resuming runs: free on this machine alone, else signed in."""
    return bool(user()) or (served_locally() and not _password())


def sign_in() -> None:
    """The sidebar's sign-in box, shown where runs need one."""
    if may_change_runs():
        if user():
            st.sidebar.caption(f"Signed in as {user()}.")
        return
    with st.sidebar.form("sign_in"):
        st.markdown("**Sign in to start or stop runs**")
        name = st.text_input("Your name", key="access_name")
        password = st.text_input("Password", type="password", key="access_password")
        if st.form_submit_button("Sign in"):
            expected = _password()
            if not expected:
                st.error("No password is set for this server: ask whoever runs it.")
            elif name.strip() and hmac.compare_digest(password, expected):
                st.session_state[USER] = name.strip()
                st.rerun()
            else:
                st.error("Name and the shared password, please.")


def explain_locked() -> None:
    """Say why the run buttons are off, and how to turn them on."""
    st.info(
        "This server is open to the network: starting, stopping and resuming runs needs a "
        "sign-in (the sidebar). Every page can still be explored."
        if _password()
        else "This server is open to the network without a password, so nobody can start or "
        "stop runs from here. Whoever runs it can set one in .streamlit/secrets.toml "
        "([access] password = ...) or GEN_CORE_PASSWORD."
    )
