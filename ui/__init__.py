"""Shared Streamlit helpers for the pages (kept outside pages/, which Streamlit lists as pages)."""
