import hashlib
import json
import pickle

import pytest
import torch

from gen_core import checkpoints as ckpt
from gen_core.data import DatasetInfo
from gen_core.models import GAN, MODELS, VAE, build_model

from .helpers import params_equal


@pytest.mark.parametrize("name", list(MODELS))
def test_save_then_load_gives_identical_outputs(tmp_path, name):
    model = build_model(name).eval()
    stem = ckpt.save_checkpoint(
        tmp_path / name,
        model,
        step=7,
        epoch=1,
        dataset=DatasetInfo.from_dict({"name": "mnist-5k"}),
        history=[{"step": 7, "loss": 1.5}],
    )
    loaded = ckpt.load_checkpoint(stem)
    assert params_equal(model, loaded.model) and not loaded.model.training
    z = model.sample_latent(4)
    with torch.no_grad():
        assert torch.equal(model.generate(z), loaded.model.generate(z))
    assert loaded.info.step == 7 and loaded.info.history == [{"step": 7, "loss": 1.5}]
    assert loaded.info.dataset.name == "mnist-5k" and loaded.info.model == name


def test_a_model_of_another_kind_is_refused_by_name(tmp_path):
    stem = ckpt.save_checkpoint(tmp_path / "g", build_model("dcgan"))
    assert isinstance(ckpt.load_model(stem, GAN), GAN)
    with pytest.raises(ckpt.CheckpointError, match="holds a dcgan, not a VAE"):
        ckpt.load_model(stem, VAE)


def test_load_accepts_the_stem_or_either_file(tmp_path):
    stem = ckpt.save_checkpoint(tmp_path / "m", build_model("vae"))
    for path in (stem, tmp_path / "m.json", tmp_path / "m.safetensors"):
        assert ckpt.load_checkpoint(path).info.path == stem


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    ckpt.save_checkpoint(tmp_path / "a", build_model("fcgan"))
    ckpt.save_checkpoint(tmp_path / "a", build_model("fcgan"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.safetensors"]


def test_listing_finds_checkpoints_and_passes_over_other_json(tmp_path):
    ckpt.save_checkpoint(tmp_path / "one", build_model("vae"))
    ckpt.save_checkpoint(tmp_path / "sub" / "two", build_model("dcgan"), step=3)
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / "broken.json").write_text("{not json")
    found = {i.name: i for i in ckpt.list_checkpoints(tmp_path)}
    assert set(found) == {"one", "two"}
    assert (
        found["two"].model == "dcgan" and found["two"].step == 3 and found["two"].size_bytes() > 0
    )


def _saved(tmp_path):
    return ckpt.save_checkpoint(tmp_path / "m", build_model("vae"))


def test_foreign_json_is_refused(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"hello": "world"}))
    with pytest.raises(ckpt.CheckpointError, match="not a gen_core checkpoint"):
        ckpt.load_checkpoint(tmp_path / "m")


def test_corrupt_sidecar_is_refused(tmp_path):
    stem = _saved(tmp_path)
    (tmp_path / "m.json").write_bytes(b"\x89PNG\r\n garbage")
    with pytest.raises(ckpt.CheckpointError, match="not valid JSON"):
        ckpt.load_checkpoint(stem)


def test_corrupt_weights_are_refused(tmp_path):
    stem = _saved(tmp_path)
    weights = tmp_path / "m.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ckpt.CheckpointError, match="hash differs"):
        ckpt.load_checkpoint(stem)
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["weights"]["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    (tmp_path / "m.json").write_text(json.dumps(meta))  # the hash fits: the parser must refuse
    with pytest.raises(ckpt.CheckpointError, match="not a valid safetensors file"):
        ckpt.load_checkpoint(stem)


@pytest.mark.parametrize("digest", [None, "", "abc", 7])
def test_weights_without_a_hash_are_refused_before_loading(tmp_path, digest):
    stem = _saved(tmp_path)
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["weights"]["sha256"] = digest
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ckpt.CheckpointError, match="SHA-256"):
        ckpt.load_checkpoint(stem)


def test_a_pickle_posing_as_weights_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    stem = _saved(tmp_path)
    (tmp_path / "m.safetensors").write_bytes(pickle.dumps(Evil()))
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["weights"]["sha256"] = hashlib.sha256(pickle.dumps(Evil())).hexdigest()
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ckpt.CheckpointError):
        ckpt.load_checkpoint(stem)
    assert not marker.exists()


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    stem = _saved(tmp_path)
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["config"]["latent_dim"] = 5
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ckpt.CheckpointError, match="do not match"):
        ckpt.load_checkpoint(stem)
    meta["model"] = "stylegan"
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ckpt.CheckpointError, match="unknown model"):
        ckpt.load_checkpoint(stem)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(ckpt.CheckpointError, match="not found"):
        ckpt.load_checkpoint(tmp_path / "nothing")
    stem = _saved(tmp_path)
    (tmp_path / "m.safetensors").unlink()
    with pytest.raises(ckpt.CheckpointError, match="not found"):
        ckpt.load_checkpoint(stem)


def test_optimizer_state_round_trips_without_pickle(tmp_path):
    model = build_model("fcgan")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.9))
    model.D(model.G(torch.randn(8, model.latent_dim))).mean().backward()
    opt.step()
    state = ckpt.optimizer_state(opt, "opt")
    ckpt.save_checkpoint(
        tmp_path / "m",
        model,
        training_state=ckpt.TrainingState(state.tensors, {"optimizers": {"opt": state.meta}}),
    )
    loaded = ckpt.load_training_state(ckpt.read_info(tmp_path / "m"))
    fresh = torch.optim.Adam(model.parameters(), lr=0.5)
    ckpt.restore_optimizer(fresh, "opt", loaded)
    a, b = opt.state_dict(), fresh.state_dict()
    assert a["param_groups"][0]["lr"] == b["param_groups"][0]["lr"] == 1e-3
    assert all(
        torch.equal(a["state"][i][k], b["state"][i][k]) for i in a["state"] for k in a["state"][i]
    )


def test_weights_only_checkpoint_cannot_resume_exactly(tmp_path):
    with pytest.raises(ckpt.CheckpointError, match="weights only"):
        ckpt.load_training_state(ckpt.read_info(_saved(tmp_path)))
