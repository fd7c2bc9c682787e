"""Write small learnable data sets to disk in CIFAR-10's two layouts, so tests stay offline."""

import hashlib
import pickle

from PIL import Image


def write_cifar10_batches(root, data, batches=5):
    """torchvision's layout, root/cifar-10-batches-py/; returns {file name: md5}.

    Like the real files, each batch is a pickled dict: "data" holds one row per image (1024 red,
    then 1024 green, then 1024 blue bytes) and "labels" a list of ints; batches.meta names the
    classes.
    """
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    parts = zip(data.train_images.chunk(batches), data.train_labels.chunk(batches), strict=True)
    for number, (images, labels) in enumerate(parts, start=1):
        dump(folder / f"data_batch_{number}", images, labels)
    dump(folder / "test_batch", data.test_images, data.test_labels)
    with open(folder / "batches.meta", "wb") as file:
        pickle.dump({"label_names": list(data.classes)}, file)
    return {path.name: hashlib.md5(path.read_bytes()).hexdigest() for path in folder.iterdir()}


def dump(path, images, labels):
    rows = images.reshape(len(images), -1).numpy()  # (N, 3 * 32 * 32) uint8, channel-major
    with open(path, "wb") as file:
        pickle.dump({"data": rows, "labels": labels.tolist()}, file)


def write_image_folders(root, data):
    """The ImageFolder layout: root/{train,test}/<class>/NNNN.jpg."""
    splits = {"train": (data.train_images, data.train_labels),
              "test": (data.test_images, data.test_labels)}  # fmt: skip
    for split, (images, labels) in splits.items():
        for index, (image, label) in enumerate(zip(images, labels.tolist(), strict=True)):
            path = root / split / data.classes[label] / f"{index:04d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image.permute(1, 2, 0).numpy()).save(path, quality=95)
