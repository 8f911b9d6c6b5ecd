from gen_core.analysis.diagnostics import (
    check,
    discriminator_winning,
    diverging,
    quality_falling,
    vanishing_classes,
)
from gen_core.data import FASHION_CLASSES


def steps(**series):
    n = len(next(iter(series.values())))
    return [{"step": 10 * (i + 1), **{k: v[i] for k, v in series.items()}} for i in range(n)]


def test_discriminator_winning_needs_d_g_z_low_for_a_while():
    assert discriminator_winning(steps(d_g_z=[0.3, 0.2, 0.01, 0.01, 0.01, 0.01])) is None
    found = discriminator_winning(steps(d_g_z=[0.3, 0.02, 0.01, 0.01, 0.01, 0.01]))
    assert found and found.kind == "d-winning" and "label smoothing" in found.message
    assert discriminator_winning(steps(loss=[1.0] * 8)) is None  # a VAE has no D


def test_divergence_is_flagged_for_blow_ups_and_non_finite_losses():
    calm = [1.2, 1.1, 1.0, 1.0, 0.9, 1.0, 1.1, 1.0, 0.9, 1.0, 1.1]
    assert diverging(steps(loss_d=calm)) is None
    assert diverging(steps(loss_d=calm[:8] + [30.0, 40.0, 50.0])).kind == "diverging"
    assert diverging(steps(loss=[100.0, None])).kind == "diverged"
    resumed = calm[:9] + [None, 1.0, 1.1]  # a NaN logged, then resumed into the same folder
    assert diverging(steps(loss_d=resumed)) is None
    assert diverging(steps(loss_d=resumed + [30.0, 40.0, 50.0])).kind == "diverging"
    assert [
        f.kind for f in check(steps(d_g_z=[0.001] * 11, loss_d=calm[:8] + [30.0, 40.0, 50.0]))
    ] == ["d-winning", "diverging"]


def counts(*present: int, each: int = 6) -> list[int]:
    return [each if c in present else 0 for c in range(10)]


def grids(*rows):
    """(step, counts) rows as grids from epoch 2 on, one epoch apart."""
    return [(step, 2 + i, c) for i, (step, c) in enumerate(rows)]


def test_a_class_seen_in_settled_grids_then_missing_has_vanished():
    full = counts(*range(10))
    assert vanishing_classes(grids((200, full), (400, full))) is None
    finding = vanishing_classes(grids((200, full), (400, counts(0, 1, 2, 3, 4, 5, 6, 8))))
    assert finding and finding.kind == "classes-vanished" and "digits 7, 9" in finding.message
    assert "step 400" in finding.message


def test_early_grids_and_a_one_off_sample_do_not_count_as_seen():
    blobs = [(0, 0, counts(*range(10))), (100, 1, counts(3, 5)), (200, 1, counts(1))]
    assert vanishing_classes(blobs) is None  # the first epochs: nothing is read into them
    assert vanishing_classes([*blobs, (300, 2, counts(1, 7))]) is None
    one_off = [1 if c == 3 else 6 for c in range(10)]
    assert (
        vanishing_classes(grids((200, one_off), (400, counts(0, 1, 2, 4, 5, 6, 7, 8, 9)))) is None
    )


def test_a_rare_digit_that_comes_and_goes_has_not_vanished():
    """Digit 1's counts in a real 5-epoch DCGAN run's grids of 64 (epochs 2 to 5): always rare."""
    ones = [3, 4, 7, 3, 2, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0]

    def grid(i, ones_count):
        rest = (64 - ones_count) // 9
        return (10 * i, 2 + i // 6, [rest, ones_count, *[rest] * 8])

    assert vanishing_classes([grid(i, n) for i, n in enumerate(ones)]) is None
    finding = vanishing_classes([grid(i, 6 if n else 0) for i, n in enumerate(ones)])
    assert finding and "digit 1 appeared" in finding.message


def test_a_run_stuck_on_few_classes_is_flagged_after_three_grids():
    few = counts(1, 7, 9)
    assert vanishing_classes(grids((200, few), (400, few))) is None
    finding = vanishing_classes(grids((200, few), (400, few), (600, few)))
    assert finding and finding.kind == "few-classes" and "3 of 10" in finding.message
    assert vanishing_classes(grids((200, few), (400, few), (600, few)), expected=3) is None


def test_named_classes_are_called_by_name():
    names = list(FASHION_CLASSES)
    finding = vanishing_classes(grids((200, counts(*range(10))), (400, counts(1, 8))), names=names)
    assert finding.message.startswith("Mode collapse: classes T-shirt/top, Pullover, Dress, Coat")
    one = vanishing_classes(grids((200, counts(1, 8)), (400, counts(1))), names=names)
    assert one.message.startswith("Mode collapse: class Bag appeared")


def measured(*pairs):
    return [
        {"step": 100 * (i + 1), "fid": fid, "class_entropy": ent, "confident": 0.5}
        for i, (fid, ent) in enumerate(pairs)
    ]


def test_a_run_whose_samples_lose_classes_is_flagged_from_its_quality_events():
    healthy = measured((300, 2.0), (150, 2.25), (90, 2.28), (80, 2.27))
    assert quality_falling(healthy) is None
    collapsing = healthy + measured((85, 1.80))
    found = quality_falling(collapsing)
    assert found and found.kind == "entropy-fell"
    assert "2.28 nats (step 300)" in found.message and "1.80" in found.message
    assert found in check([], collapsing)


def test_a_fid_that_rises_for_two_measurements_is_flagged_but_one_bad_reading_is_not():
    once = measured((300, 2.2), (100, 2.2), (80, 2.2), (200, 2.2), (90, 2.2))
    assert quality_falling(once) is None
    twice = measured((300, 2.2), (100, 2.2), (80, 2.2), (130, 2.2), (150, 2.2))
    found = quality_falling(twice)
    assert found and found.kind == "fid-rising" and "from 80.0 (step 300) to 150.0" in found.message
    assert quality_falling(measured((300, 2.2), (400, 2.2))) is None  # too few yet
