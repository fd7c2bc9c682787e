"""Train a bidirectional LSTM to tell whether a variable-length sequence sums to more than zero.

python snippets/sequence_classifier.py            # full run
python snippets/sequence_classifier.py --dry-run  # a few seconds on a CPU, checks accuracy
"""

import argparse

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


# --8<-- [start:data]
def make_data(n, max_len=12, generator=None):
    """n zero-padded sequences of 2 to max_len numbers; the label says if the sum is > 0."""
    lengths = torch.randint(2, max_len + 1, (n,), generator=generator)
    x = torch.randn(n, max_len, 1, generator=generator)
    steps = torch.arange(max_len)
    x[steps >= lengths[:, None]] = 0.0  # zero the padding after each sequence's end
    labels = (x.sum(dim=(1, 2)) > 0).long()
    return x, lengths, labels


# --8<-- [end:data]


# --8<-- [start:model]
class SequenceClassifier(nn.Module):
    def __init__(self, input_size=1, hidden_size=32, num_classes=2):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # h_n: (2, batch, hidden), padding never seen
        final = torch.cat([h_n[-2], h_n[-1]], dim=1)  # forward and backward final states
        return self.head(final)


# --8<-- [end:model]


# --8<-- [start:train]
def train(model, data, steps, batch_size=64, lr=1e-2, generator=None):
    x, lengths, labels = data
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (batch_size,), generator=generator)
        loss = loss_fn(model(x[idx], lengths[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def accuracy(model, data):
    x, lengths, labels = data
    model.eval()
    return (model(x, lengths).argmax(dim=1) == labels).float().mean().item()


# --8<-- [end:train]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="quick run that checks itself")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = 200 if args.dry_run else args.steps

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_data = make_data(2000, generator=generator)
    test_data = make_data(500, generator=generator)
    model = SequenceClassifier()
    loss = train(model, train_data, steps, generator=generator)
    acc = accuracy(model, test_data)
    print(f"steps {steps}  last loss {loss:.3f}  test accuracy {acc:.3f} (chance 0.5)")
    assert acc > 0.9, f"accuracy {acc:.3f} is not far above chance"
    return acc


if __name__ == "__main__":
    main()
