"""A canvas to draw a digit on with the mouse or a finger (streamlit-drawable-canvas).

The drawing comes back as the PNG file the canvas exports, and every page reads it exactly as
it reads an upload (gen_core.preprocess.prepare): one road for every input.
"""

from __future__ import annotations

import streamlit as st

SIDE = 240  # canvas pixels: a digit drawn at about the size of a fingertip's reach
STROKE = 18  # pen width, about a pen's width on a 28x28 digit scaled up


def drawing(key: str, label: str = "Draw a digit") -> bytes | None:
    """A drawing canvas, white ink on black as MNIST's digits are, with a Clear button; the
    canvas as PNG bytes once something is drawn, else None (and a line asking for a stroke)."""
    # Imported here: the component declares itself on import, which needs a running app.
    from streamlit_drawable_canvas import st_canvas

    clears = st.session_state.setdefault(f"{key}_clears", 0)
    st.markdown(f"**{label}**")
    result = st_canvas(
        stroke_width=STROKE,
        stroke_color="#ffffff",
        background_color="#000000",
        height=SIDE,
        width=SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"{key}_{clears}",  # a new key is a new, empty canvas
    )
    if st.button("Clear", key=f"{key}_clear"):
        st.session_state[f"{key}_clears"] = clears + 1
        st.rerun()
    if not (result.json_data or {}).get("objects"):
        st.caption("Draw with the mouse or a finger: the canvas is empty.")
        return None
    return result.image_bytes
