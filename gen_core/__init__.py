"""gen_core: GANs and VAEs on 28x28 digit images, as a small typed library.

The Streamlit explorer and the ``python -m gen_core`` CLI both stand on it. The library never
imports Streamlit and never prints: it returns values and reports through callbacks; only
its CLI (``gen_core.cli``) writes to the terminal.
"""

__version__ = "0.1.0"
