from streamlit.testing.v1 import AppTest

from .conftest import ROOT


def test_home_page_names_the_dataset_and_lists_the_shipped_checkpoints():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    dataset = at.info[0].value
    assert "mnist-5k" in dataset and "4,000 train" in dataset and "auto" in dataset
    assert any("Device: CPU" in c.value for c in at.caption)
    listed = at.dataframe[0].value
    assert {"dcgan", "fcgan", "vae", "conv-vae"} <= set(listed["model"])
    assert set(listed.loc[listed["checkpoint"].str.startswith("checkpoints/"), "dataset"]) == {
        "mnist-5k"
    }
