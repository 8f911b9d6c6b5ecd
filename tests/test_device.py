"""The CPU share of a process that serves pages while a run it launched trains."""

import torch

from gen_core.device import ALL_THREADS, share_cpu


def test_the_server_keeps_one_thread_while_a_run_trains_and_all_after():
    try:
        share_cpu(training=True)
        assert torch.get_num_threads() == 1
        share_cpu(training=False)
        assert torch.get_num_threads() == ALL_THREADS
    finally:
        torch.set_num_threads(ALL_THREADS)
