"""Task "image": classify images with a Vision Transformer, and show where it looked.

    attnflow train image                                  # Fashion-MNIST
    attnflow train image --data photos/                   # one sub-folder per class
    attnflow train image --data labels.csv --image-size 32  # path,label rows
    attnflow train image --data train/ --test-data test/     # the user's own test images
    attnflow predict RUN shoe.png more/ --output preds.csv --show-attention

Default data: Fashion-MNIST from Debian's `dataset-fashion-mnist` (else
keras.datasets), the official 60,000 / 10,000 split with 10% of the
training images held out for validation. A user's folder or CSV is split
into train, validation and test, class by class, its images resized to
`options.image_size`. The model is `attnflow.models.VisionTransformer`
(config.model holds its arguments), trained with label smoothing on
flipped Fashion-MNIST images, or on randomly shifted images of a user's.
Baselines on the same split: a small CNN ("cnn") and logistic regression on
pixels ("pixel_logreg"). Attention maps are the rollout of the class token
over the patches, drawn over the images; metrics.json's "faithfulness" says
how far they explain the predictions (`image_faithfulness`). Default settings: `attnflow.tasks.classification.image_presets`.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from attnflow._validation import check_positive_int, check_rate, fail
from attnflow.data.fashion_mnist import DATASET, load_fashion_mnist
from attnflow.data.images import ImageData, files_to_predict, load_images, read_labelled_images
from attnflow.models import VisionTransformer
from attnflow.tasks.base import TrainingData, with_faithfulness
from attnflow.tasks.classification.flags import ImageFlags
from attnflow.tasks.classification.image_pipeline import (
    augmentation, image_batches, predict_images, resize_images, serving_outputs)
from attnflow.tasks.classification.image_output import (
    print_image_predictions, write_attention_maps, write_test_grid)
from attnflow.tasks.classification.image_presets import preset
from attnflow.tasks.classification.scores import classification_scores
from attnflow.tasks.classification.task import (
    ClassificationOptions, ClassificationSplits, ClassificationTask, reported_warnings)
from attnflow.training.config import RunConfig, merge

CNN, LOGREG = "cnn", "pixel_logreg"
GRID_PNG = "test_grid.png"  # in the run's attention/ folder
DATA_ARGUMENTS = {"num_classes", "pixel_mean", "pixel_std"}  # of VisionTransformer, from the data


@dataclass
class ImageOptions(ClassificationOptions):
    """Settings of the image task, besides the shared ones."""

    dataset: str | None = None  # "fashion_mnist" (the default without --data); None with --data
    cross_validation_below: int = 0  # no k-fold yet: the image task scores one split (see #18)
    image_size: int = 28  # side S the images are resized to (Fashion-MNIST's own 28)
    channels: int | None = None  # 1 or 3; None: 1 when every training image is grey (recorded)
    path_column: str = "path"  # column of the image paths in a --data CSV
    label_column: str = "label"  # column of the labels in a --data CSV
    translate: float = 0.1  # random shifts in training, a fraction of the side; 0: none
    flip: bool = True  # random horizontal flips in training
    label_smoothing: float = 0.1  # of the one-hot targets
    min_steps_per_epoch: int = 50  # (shared option) the image pipeline repeats the split itself
    cnn_epochs: int = 10  # epochs of the "cnn" baseline (same batches and schedule shape)
    samples: int = 16  # test images in the attention grid, misclassified ones first
    baselines: list = field(default_factory=lambda: [CNN, LOGREG])  # cnn, pixel_logreg

    def __post_init__(self):
        super().__post_init__()
        check_positive_int("image_size", self.image_size)
        check_positive_int("cnn_epochs", self.cnn_epochs)
        if self.dataset not in (None, DATASET):
            fail(f"dataset to be None (with --data) or {DATASET!r}", dataset=self.dataset)
        if self.channels not in (None, 1, 3):
            fail("channels to be 1, 3 or None (from the images)", channels=self.channels)
        check_rate("translate", self.translate)
        check_rate("label_smoothing", self.label_smoothing)
        if not isinstance(self.flip, bool):
            fail("flip to be true or false", flip=self.flip)


class ImageTask(ImageFlags, ClassificationTask):
    """Images -> VisionTransformer, attention rollout over the patches; flags in
    `attnflow.tasks.classification.flags`."""

    options_class = ImageOptions
    input_name = "images"
    example_unit = "images"
    baseline_names = (CNN, LOGREG)

    def defaults(self, chosen: dict | None = None) -> dict:
        generic = {"task": self.name, "options": dataclasses.asdict(ImageOptions())}
        return merge(generic, preset(chosen or {}))

    def attention_examples(self, model, data, config, split="test", count=8):
        from attnflow.tasks.classification import image_views

        return image_views.examples(model, data, split, count)

    def faithfulness(self, model, data, config):
        from attnflow.tasks.classification.image_faithfulness import faithfulness

        return faithfulness(model, data, config)

    def check_model(self, config: RunConfig) -> None:
        options = self.options(config)
        if config.data is not None and options.dataset is not None:
            fail(f"--data DIR_OR_CSV or --dataset {DATASET}, not both",
                 data=str(config.data), dataset=options.dataset)
        model = build_vision_transformer(config.model, 2)
        side = model.pixel_patch_size
        what = f"model.patch_size={model.patch_size}" + (
            f" times {side // model.patch_size} for the stem's pooling" if side != model.patch_size else "")
        if options.image_size < side:
            fail(f"image_size of at least one patch ({what})", image_size=options.image_size)
        if options.image_size % side:
            fail(f"image_size a multiple of {side} ({what})", image_size=options.image_size)

    # -- data and model -------------------------------------------------------------

    def read_file(self, path, options: ImageOptions) -> ImageData:
        return read_labelled_images(path, options.image_size, options.classes, options.channels,
                                    options.path_column, options.label_column)

    def read_test_file(self, path, options: ImageOptions, train: ImageData):
        """The user's test images, with the training images' classes and channels (a grey
        training set scores colour test images in grey, and the other way round)."""
        channels = options.channels or int(train.images.shape[-1])
        return super().read_test_file(path, dataclasses.replace(options, channels=channels), train)

    def builtin_splits(self, options: ImageOptions) -> tuple[ImageData, ImageData]:
        train, test = load_fashion_mnist()
        for part in (train, test):
            part.images = resize_images(part.images, options.image_size)
            if options.channels == 3:
                part.images = np.repeat(part.images, 3, axis=-1)
        return train, test

    def load_data(self, config: RunConfig, data_path: str | None = None) -> ClassificationSplits:
        data = super().load_data(config, data_path)
        if data_path is None:  # recorded, so that evaluate and predict read images alike
            config.options["channels"] = int(data.train.images.shape[-1])
        return data

    def input_arguments(self, config: RunConfig, data) -> dict:
        if data is None:
            return {}
        mean, std = data.train.pixel_stats()
        return {"pixel_mean": mean, "pixel_std": std}

    def build_model(self, config: RunConfig, data: ClassificationSplits) -> VisionTransformer:
        model = build_vision_transformer(config.model, len(data.classes),
                                         **self.input_arguments(config, data))
        model(np.zeros((1, *data.train.images.shape[1:]), np.float32))  # builds the weights
        return model

    def training_data(self, model, data: ClassificationSplits, config: RunConfig) -> TrainingData:
        options = self.options(config)
        augment = augmentation(options.translate, options.flip, config.seed)
        train, steps = image_batches(data.train.images, data.train.labels, len(data.classes),
                                     config.batch_size, seed=config.seed, augment=augment,
                                     min_steps=options.min_steps_per_epoch)
        validation = None
        if data.validation is not None and len(data.validation):
            validation = image_batches(data.validation.images, data.validation.labels,
                                       len(data.classes), config.batch_size)[0]
        return TrainingData(train, validation, steps)

    def compile_arguments(self, config: RunConfig) -> dict:
        smoothing = self.options(config).label_smoothing
        return {"loss": keras.losses.CategoricalCrossentropy(label_smoothing=smoothing),
                "metrics": ["accuracy"]}

    def model_inputs(self, model, part: ImageData):
        return part.images, None

    def predict_part(self, model, part: ImageData, config: RunConfig, label: str = "predicting"):
        """(probabilities [N, C], attention rollout maps [N, rows, columns])."""
        return predict_images(model, part.images, self.options(config).predict_batch_size, label)

    def evaluate(self, model, data: ClassificationSplits, config: RunConfig) -> dict:
        probabilities, maps = self.predict_part(model, data.test, config, "scoring the test split")
        scores = classification_scores(data.test.labels, probabilities.argmax(axis=1), data.classes)
        self._last_scores = (model, data.test, scores)
        self._last_predictions = (model, data.test, probabilities, maps)  # for the attention grid
        return with_faithfulness(self, {"test": scores}, model, data, config, data.train is not None)

    def baselines(self, data: ClassificationSplits, config: RunConfig) -> dict:
        from attnflow.tasks.classification import image_baselines

        chosen, results = self.options(config).baselines, {}
        if CNN in chosen:
            cnn = image_baselines.train_cnn(self, data, config)
            probabilities = cnn.predict(data.test.images.astype(np.float32),
                                        batch_size=self.options(config).predict_batch_size, verbose=0)
            results[CNN] = classification_scores(data.test.labels, probabilities.argmax(axis=1),
                                                 data.classes)
        if LOGREG in chosen:
            logreg = image_baselines.pixel_logistic_regression(
                data.train.images, data.train.labels, data.validation.images,
                data.validation.labels, seed=config.seed)
            predicted = logreg.predict(image_baselines.flat_pixels(data.test.images))
            results[LOGREG] = classification_scores(data.test.labels, predicted, data.classes)
        return results

    def serving_signature(self, model) -> list:
        return [tf.TensorSpec([None, *model.image_shape], tf.float32, name=self.input_name)]

    def serving_endpoint(self, model):
        return (lambda images: serving_outputs(model, images)), self.serving_signature(model)

    # -- showing --------------------------------------------------------------------

    def explain_attention(self, model, data, config, directory: Path) -> list[Path]:
        last = getattr(self, "_last_predictions", None)
        if last is None or last[0] is not model or last[1] is not data.test:
            self.evaluate(model, data, config)
            last = self._last_predictions
        _, test, probabilities, maps = last
        path = write_test_grid(test, probabilities, maps, self.options(config).samples,
                               directory / GRID_PNG)
        return [path] if path else []

    def prediction_inputs(self, inputs: list[str], args: dict, options: ImageOptions) -> ImageData:
        with reported_warnings():  # files that are not images: one line that counts them
            files = files_to_predict(list(inputs) + ([args["data"]] if args.get("data") else []))
        images = load_images(files, options.image_size, options.channels)
        return ImageData(images, np.zeros(len(files), np.int64), options.classes, [str(f) for f in files])

    def example_names(self, part: ImageData) -> list[str]:
        return part.names

    def print_predictions(self, names, probabilities, classes, output=None) -> None:
        """`path<TAB>label<TAB>probability` per image, or a CSV with every class's probability."""
        print_image_predictions(names, probabilities, classes, output)

    def show_attention(self, part: ImageData, probabilities, maps, args: dict) -> None:
        directory = Path(args.get("plots") or Path(args["run"]) / "attention" / "predicted")
        paths = write_attention_maps(part, probabilities, maps, directory)
        print(f"attention maps written to {directory} ({len(paths)} PNG)")


def build_vision_transformer(settings: dict, num_classes: int, **inputs) -> VisionTransformer:
    """A VisionTransformer from config.model (its arguments) and what the data decide."""
    taken = set(inspect.signature(VisionTransformer.__init__).parameters) - {"self", "kwargs"}
    unknown = sorted(set(settings) - (taken - DATA_ARGUMENTS))
    if unknown:
        fail(f"model settings of VisionTransformer among {sorted(taken - DATA_ARGUMENTS)}",
             unknown=unknown)
    return VisionTransformer(num_classes=num_classes, **settings, **inputs)
