"""Entry point: `streamlit run app.py`. Declares the pages; each lives in pages/."""

import streamlit as st

st.set_page_config(page_title="Generative-model explorer", page_icon="🔢", layout="wide")
PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", url_path="home", default=True),
    st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
]
st.navigation(PAGES).run()
