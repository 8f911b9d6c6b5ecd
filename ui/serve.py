"""Start the app (`python -m ui.serve [streamlit options]`, what `make run` does) with torch and
the pages' shared modules imported before the server answers, so the first visitor's page does
not wait for them (about 2 s of a cold Home page on 2 cores). Streamlit runs every page in this
process, so what is imported here is imported for them."""

import gc
import sys

import torch._dynamo  # noqa: F401 - a run request's model check imports it (~2 s) on the first Start
from streamlit.web import cli

import ui.checkpoints  # noqa: F401 - imports torch and gen_core
import ui.common  # noqa: F401


def main() -> None:
    ui.common.run_manager()  # the run queue, and its spare process importing for the first Start
    gc.freeze()  # the ~270,000 objects of these imports live as long as the server: never scan them
    sys.argv = ["streamlit", "run", "app.py", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
