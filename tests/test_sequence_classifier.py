"""snippets/sequence_classifier.py: its quick mode learns the toy task far above chance."""

import sequence_classifier as program
import torch


def test_data_are_padded_with_zeros_and_labelled_by_the_sum():
    generator = torch.Generator().manual_seed(1)
    x, lengths, labels = program.make_data(50, max_len=8, generator=generator)
    assert x.shape == (50, 8, 1) and lengths.min() >= 2 and lengths.max() <= 8
    for row, length in zip(x, lengths, strict=True):
        assert row[length:].abs().sum() == 0
    assert torch.equal(labels, (x.sum(dim=(1, 2)) > 0).long())


def test_quick_mode_learns_far_above_chance():
    accuracy = program.main(["--dry-run"])
    assert accuracy > 0.9
