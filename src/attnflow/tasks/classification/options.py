"""The settings every classification task shares (RunConfig.options)."""

from __future__ import annotations

from dataclasses import dataclass, field

from attnflow._validation import check_non_negative_int, check_positive_int, fail


@dataclass
class ClassificationOptions:
    """Task settings shared by the classification tasks (RunConfig.options)."""

    validation_fraction: float = 0.1  # share of the training data held out for early stopping
    test_fraction: float = 0.2  # share of a user's file kept for the test split
    baselines: list = field(default_factory=list)  # names of the baselines trained in the run
    samples: int = 4  # test examples whose attention the run draws
    predict_batch_size: int = 256  # examples scored at once after training
    classes: list | None = None  # class names in index order (recorded from the training data)
    test_data: str | None = None  # the user's test file (--test-data): --data only trains and validates
    cross_validation_below: int = 300  # a --data file with fewer examples (and no test file) is scored by k-fold; 0: never
    folds: int = 5  # folds of that cross-validation
    min_steps_per_epoch: int = 0  # a smaller training part is repeated (reshuffled) within each epoch

    def __post_init__(self):
        for name in ("validation_fraction", "test_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
                fail(f"{name} in (0, 1)", **{name: value})
        check_positive_int("predict_batch_size", self.predict_batch_size)
        check_non_negative_int("samples", self.samples)
        check_non_negative_int("cross_validation_below", self.cross_validation_below)
        check_non_negative_int("min_steps_per_epoch", self.min_steps_per_epoch)
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 2:
            fail("folds to be an integer >= 2", folds=self.folds)
        if self.test_data is not None and (not isinstance(self.test_data, str) or not self.test_data):
            fail("test_data to be a file path", test_data=self.test_data)
        if self.classes is not None and (not isinstance(self.classes, list) or len(self.classes) < 2):
            fail("classes to be a list of at least 2 class names", classes=self.classes)
