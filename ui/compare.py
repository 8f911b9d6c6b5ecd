"""The Train page's Compare tab: several runs' metric on one chart, live while any still goes."""

from __future__ import annotations

import streamlit as st

from gen_core.runs import RunManager, RunStatus
from ui.charts import LABELS, compare_chart, final_values
from ui.run_view import LIVE_S, feed_for

BOOKKEEPING = {"log_every", "sample_every", "checkpoint_every"}  # follow epochs: not news


def compare_runs(manager: RunManager) -> None:
    runs = manager.list_runs()
    if len(runs) < 2:
        st.info(
            "Comparing needs two runs or more: start another on the first tab, say with one "
            "remedy switched on, or queue the remedy runs there."
        )
        return
    labels = {r.id: r.label for r in runs}
    newest = [r.id for r in runs if r.model == runs[0].model][:2]  # list_runs is newest first
    default = None if "compare_runs" in st.session_state or len(newest) < 2 else newest
    chosen = st.multiselect(
        "Runs to overlay",
        list(labels),
        default=default,
        key="compare_runs",
        format_func=lambda i: labels[i],
        placeholder="Pick two or more runs, e.g. label smoothing on and off",
    )
    picked = [r for r in runs if r.id in chosen]
    live = any(r.status in ("queued", "running") for r in picked)
    st.fragment(_chart, run_every=LIVE_S if live else None)(manager, picked, live)


def _chart(manager: RunManager, picked: list[RunStatus], live: bool) -> None:
    """The picked runs' metric on one chart, redrawn while any of them is still to finish."""
    if not picked:
        return
    picked = [manager.status(r.id) for r in picked]
    if live and not any(r.status in ("queued", "running") for r in picked):
        st.rerun()  # all done: redraw the page once more, without the polling
    settings = {r.id: r.request.settings for r in picked}
    varied = sorted(
        {
            k
            for s in settings.values()
            for k in s
            if k not in BOOKKEEPING and len({repr(o.get(k)) for o in settings.values()}) > 1
        }
    )
    titled = all(r.title for r in picked)
    series, critics, quality, unstarted = {}, set(), {}, []
    for run in picked:
        feed = feed_for(run)
        feed.update()
        if run.status in ("stopped", "failed") and not feed.steps:  # an empty legend entry
            unstarted.append(run.title or run.id)
            continue
        shown = run.title if titled else ", ".join(f"{k}={settings[run.id][k]}" for k in varied)
        name = f"{run.id.rsplit('-', 1)[-1]} {run.model} {shown}".strip()
        series[name] = feed.steps
        quality[name] = feed.quality
        if getattr(run.request.train, "loss", "") == "wgan-gp":
            critics.add(name)
    if titled:
        st.caption("Legends name each run's remedy; all else is as in the baseline run.")
    else:
        st.caption(
            f"Legends name what differs between these runs: {', '.join(varied)}."
            if varied
            else "These runs have the same settings."
        )
    waiting = [
        r.title or r.id for r in sorted(picked, key=lambda r: r.created) if r.status == "queued"
    ]
    if waiting:
        st.caption(f"Waiting their turn: {', '.join(waiting)}.")
    if unstarted:
        st.caption(f"Ended before their first logged step, so not drawn: {', '.join(unstarted)}.")
    keys = sorted(
        {k for steps in series.values() for s in steps for k in s if k in LABELS},
        key=list(LABELS).index,
    )
    if not keys:
        st.info("These runs have not logged any steps yet.")
        return
    key = (
        st.selectbox("Metric", keys, format_func=lambda k: LABELS[k], key="compare_metric")
        or keys[0]
    )
    smoothing = st.slider("Smoothing", 0.0, 0.95, 0.6, 0.05, key="compare_smoothing")
    st.plotly_chart(compare_chart(series, key, smoothing, critics), key="compare_chart")
    table = final_values(series, keys, smoothing, quality)
    st.dataframe(table, hide_index=True, key="compare_table")
    st.caption(
        "Where each run ended, best sample quality first: its last classifier FID, and its "
        "last logged values smoothed as on the chart."
    )
