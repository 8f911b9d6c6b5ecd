"""gen_core: GANs and VAEs on 28x28 digit images, as a small typed library.

The Streamlit explorer and the ``python -m gen_core`` CLI both stand on it; it never
imports Streamlit and never prints.
"""

__version__ = "0.1.0"
