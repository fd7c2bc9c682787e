"""Train a small GAN whose generator learns to sample a 1-D Gaussian, N(4, 1.25^2).

python snippets/gaussian_gan.py            # full run
python snippets/gaussian_gan.py --dry-run  # a few seconds on a CPU, checks mean and std
"""

import argparse

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

TARGET_MEAN, TARGET_STD = 4.0, 1.25
LATENT = 8


# --8<-- [start:models]
def mlp(inputs, width):
    return nn.Sequential(
        nn.Linear(inputs, width),
        nn.LeakyReLU(0.2),
        nn.Linear(width, width),
        nn.LeakyReLU(0.2),
        nn.Linear(width, 1),
    )


def make_models(latent=LATENT, width=32):
    generator = mlp(latent, width)  # noise -> one sample
    discriminator = mlp(1, width)  # one sample -> a logit; BCEWithLogitsLoss adds the sigmoid
    return generator, discriminator


# --8<-- [end:models]


# --8<-- [start:train]
def train(generator, discriminator, steps, batch_size=256, lr=2e-3, smooth=0.1, ema_decay=0.99):
    bce = nn.BCEWithLogitsLoss()
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    real_labels = torch.full((batch_size, 1), 1.0 - smooth)  # one-sided label smoothing
    fake_labels = torch.zeros(batch_size, 1)
    # GAN training oscillates around the target; sample from an average of recent generators.
    average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(ema_decay))
    for _ in range(steps):
        real = TARGET_MEAN + TARGET_STD * torch.randn(batch_size, 1)
        fake = generator(torch.randn(batch_size, LATENT))

        # Discriminator step: real -> 1 - smooth, fake -> 0; detach keeps G out of it.
        d_real = bce(discriminator(real), real_labels)
        d_fake = bce(discriminator(fake.detach()), fake_labels)
        d_loss = d_real + d_fake
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()

        # Generator step (non-saturating): make D call the fakes real.
        g_loss = bce(discriminator(fake), torch.ones(batch_size, 1))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        average.update_parameters(generator)
    return average, d_loss.item(), g_loss.item()


# --8<-- [end:train]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="quick run that checks itself")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = 800 if args.dry_run else args.steps

    torch.manual_seed(args.seed)
    generator, discriminator = make_models()
    average, d_loss, g_loss = train(generator, discriminator, steps)
    with torch.no_grad():
        samples = average(torch.randn(10_000, LATENT))
    mean, std = samples.mean().item(), samples.std().item()
    print(
        f"steps {steps}  d_loss {d_loss:.3f}  g_loss {g_loss:.3f}  "
        f"generated mean {mean:.2f} std {std:.2f} (target {TARGET_MEAN} and {TARGET_STD})"
    )
    assert abs(mean - TARGET_MEAN) < 0.3, f"mean {mean:.2f} is not near {TARGET_MEAN}"
    assert abs(std - TARGET_STD) < 0.3, f"std {std:.2f} is not near {TARGET_STD}"
    return mean, std


if __name__ == "__main__":
    main()
