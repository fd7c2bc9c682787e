"""snippets/gaussian_gan.py: its quick mode learns the target Gaussian's mean and spread."""

import gaussian_gan as program
import torch


def test_one_step_updates_both_networks_and_returns_finite_losses():
    torch.manual_seed(0)
    generator, discriminator = program.make_models()
    g_before = [p.clone() for p in generator.parameters()]
    d_before = [p.clone() for p in discriminator.parameters()]
    average, d_loss, g_loss = program.train(generator, discriminator, steps=1, batch_size=4)
    for model, before in [(generator, g_before), (discriminator, d_before)]:
        assert any(not torch.equal(p, b) for p, b in zip(model.parameters(), before, strict=True))
    assert torch.isfinite(torch.tensor([d_loss, g_loss])).all()
    assert average(torch.zeros(3, program.LATENT)).shape == (3, 1)


def test_quick_mode_lands_near_the_target():
    mean, std = program.main(["--dry-run"])
    assert abs(mean - program.TARGET_MEAN) < 0.3
    assert abs(std - program.TARGET_STD) < 0.3
