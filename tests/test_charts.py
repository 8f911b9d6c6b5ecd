"""Chart helpers of the app: what each figure plots, on which axis; the CSV downloads."""

import csv
import io

from ui.charts import (
    class_bars,
    class_names,
    compare_chart,
    final_values,
    label_levels,
    metric_chart,
    smooth,
)
from ui.common import csv_text


def test_a_small_term_gets_the_right_axis_and_says_so():
    steps = [{"step": 10 * i, "loss": 200.0 - i, "recon": 195.0 - i, "kl": 5.0} for i in range(5)]
    fig = metric_chart(steps, ["loss", "recon", "kl"], "ELBO", right="kl")
    axes = {trace.name: trace.yaxis for trace in fig.data}
    assert axes == {"−ELBO (recon + β·KL)": "y", "reconstruction": "y", "KL (right axis)": "y2"}
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.side == "right"
    assert "yaxis2" not in metric_chart(steps, ["loss"], "ELBO").layout.to_plotly_json()


def test_smoothing_is_an_exponential_moving_average_that_skips_gaps():
    assert smooth([1.0, None, 3.0], 0.5) == [1.0, None, 2.0]
    assert smooth([1.0, float("nan"), 3.0], 0.0) == [1.0, None, 3.0]


def test_class_bars_name_clothes_and_number_digits():
    assert class_names([str(c) for c in range(10)]) is None
    assert class_names(["Bag", "Coat"]) == ["Bag", "Coat"]
    named = class_bars([0.5, 0.5], "shares", ["Bag", "Coat"])
    assert list(named.data[0].x) == ["Bag", "Coat"] and named.layout.xaxis.title.text == "class"
    numbered = class_bars([0.5, 0.5], "shares")
    assert list(numbered.data[0].x) == ["0", "1"]


def test_final_values_are_each_runs_last_smoothed_values_and_blank_where_not_logged():
    gan = [{"step": 10, "d_x": 0.9, "loss_d": 1.0}, {"step": 20, "d_x": 0.5, "loss_d": None}]
    vae = [{"step": 10, "loss": 200.0}]
    rows = final_values({"a": gan, "b": vae, "c": []}, ["d_x", "loss_d", "loss"], smoothing=0.5)
    assert rows[0] == {
        "run": "a",
        "step": 20,
        "D(x), real": 0.7,
        "L_D (discriminator)": 1.0,
        "−ELBO (recon + β·KL)": None,
    }
    assert rows[1]["step"] == 10 and rows[1]["−ELBO (recon + β·KL)"] == 200.0
    assert rows[1]["D(x), real"] is None and rows[2]["step"] == 0


def test_csv_rows_keep_file_names_with_commas_and_quotes():
    rows = [
        {"file": 'scan, "final".png', "score": 12.5, "verdict": "normal"},
        {"file": "plain.png", "score": 3.0, "verdict": "anomalous"},
    ]
    back = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert [r["file"] for r in back] == ['scan, "final".png', "plain.png"]
    assert [float(r["score"]) for r in back] == [12.5, 3.0] and back[1]["verdict"] == "anomalous"


def test_one_logged_point_is_drawn_as_a_marker_not_an_empty_chart():
    fig = metric_chart([{"step": 10, "loss_d": 1.2, "loss_g": 0.8}], ["loss_d", "loss_g"], "L")
    assert all("markers" in trace.mode for trace in fig.data)
    many = [{"step": i, "loss_d": 1.0} for i in range(50)]
    assert metric_chart(many, ["loss_d"], "L").data[0].mode == "lines"


def test_a_wgan_critic_beside_bce_runs_gets_the_right_axis():
    bce = [{"step": 10, "loss_d": 1.3}, {"step": 20, "loss_d": 1.2}]
    wgan = [{"step": 10, "loss_d": -40.0}, {"step": 20, "loss_d": -35.0}]
    fig = compare_chart({"a dcgan": bce, "b dcgan wgan": wgan}, "loss_d", critics={"b dcgan wgan"})
    axes = {trace.name: trace.yaxis for trace in fig.data}
    assert axes == {"a dcgan": "y", "b dcgan wgan (WGAN critic, right axis)": "y2"}
    alone = compare_chart({"b dcgan wgan": wgan}, "loss_d", critics={"b dcgan wgan"})
    assert alone.data[0].yaxis == "y" and "yaxis2" not in alone.layout.to_plotly_json()
    kept = compare_chart({"a": bce, "b": wgan}, "d_x", critics={"b"})  # not a loss: one axis
    assert {trace.yaxis for trace in kept.data} == {"y"}


def test_input_labels_that_would_overlap_are_stacked_and_far_ones_share_a_level():
    levels = label_levels([1.0, 1.01, 1.02, 5.0, 9.0], gap=0.5)
    assert levels[:3] == [0, 1, 2] and levels[3] == 0 and levels[4] == 0
    assert label_levels([3.0, 1.0], gap=0.5) == [0, 0]


def test_with_sample_quality_runs_are_ranked_by_their_last_fid():
    steps = [{"step": 10, "loss_d": 1.0}]
    quality = {"a": [{"step": 10, "fid": 90.0}], "b": [{"step": 10, "fid": 40.0}], "c": []}
    rows = final_values({"a": steps, "b": steps, "c": steps}, ["loss_d"], quality=quality)
    assert [r["run"] for r in rows] == ["b", "a", "c"]  # best first, unmeasured last
    assert rows[0]["final classifier FID"] == 40.0 and rows[2]["final classifier FID"] is None
