"""`model.fit` for several workers: Keras's own steps under MultiWorkerMirroredStrategy.

Keras 3's `fit` fails under MultiWorkerMirroredStrategy ("Attempt to convert
a value (PerReplica:{...})", keras-team/keras#20585), but its pieces work:
`model.train_step` and `model.test_step` run in each replica (the loss of a
replica's share is divided by the number of replicas and the optimizer sums
the gradients over all of them), and `model.get_metrics_result()` reads the
metrics aggregated over every worker. This loop drives those pieces with
fit's order of callbacks, so the Trainer's callbacks (early stopping with
best weights, history.csv, TensorBoard scalars, the clock, BackupAndRestore)
work unchanged.

Every global batch of the task's pipeline is split between the workers
(`AutoShardPolicy.DATA`): worker i takes the i-th share of each batch, so the
data order, and with it the result, is that of one process at the same
global batch size.
"""

from __future__ import annotations

import keras

from attnflow.training.distribution import WorkerFailure


def shard_by_data(dataset):
    """`dataset` with each global batch split evenly over the workers."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def fit_distributed(model, train, validation=None, *, strategy, epochs: int, callbacks=(),
                    steps_per_epoch: int | None = None, verbose=0):
    """Trains `model` (built and compiled in `strategy.scope()`) as `model.fit` would.

    Args:
        model: a compiled Keras model whose variables belong to `strategy`.
        train: a tf.data.Dataset of (inputs, targets) global batches.
        validation: the same for validation, or None.
        strategy: the tf.distribute strategy (every worker calls this together).
        epochs: the last epoch to train (BackupAndRestore may start later).
        callbacks: Keras callbacks, called in `fit`'s order with the same logs.
        steps_per_epoch: batches per epoch, for the progress bar.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.

    Returns:
        The History callback.
    """
    import tensorflow as tf

    train_batches = strategy.experimental_distribute_dataset(shard_by_data(train))
    validation_batches = (None if validation is None else
                          strategy.experimental_distribute_dataset(shard_by_data(validation)))

    @tf.function(autograph=False, reduce_retracing=True)
    def train_step(batch):
        strategy.run(model.train_step, args=(batch,))

    @tf.function(autograph=False, reduce_retracing=True)
    def test_step(batch):
        strategy.run(model.test_step, args=(batch,))

    clipping = _clip_after_all_reduce(model.optimizer, strategy)
    try:
        with strategy.scope():  # as in `fit`: BackupAndRestore builds the optimizer on resume
            return _run_epochs(model, train_batches, validation_batches, train_step, test_step,
                               epochs, callbacks, steps_per_epoch, verbose)
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError,
            tf.errors.CancelledError, tf.errors.InternalError) as error:
        # a collective whose peer is gone: the coordination service's heartbeat ends it
        raise WorkerFailure(f"a worker of the cluster stopped answering "
                            f"({type(error).__name__}: {error.message.splitlines()[0][:200]})"
                            ) from None
    finally:
        clipping.undo()


def _run_epochs(model, train_batches, validation_batches, train_step, test_step, epochs,
                callbacks, steps_per_epoch, verbose):
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=verbose != 0, model=model,
        verbose=verbose, epochs=epochs, steps=steps_per_epoch)
    model.stop_training = False
    model._initial_epoch = None
    callback_list.on_train_begin()
    initial_epoch = model._initial_epoch or 0  # set by BackupAndRestore on resume
    epoch_logs = None
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        for step, batch in enumerate(train_batches):
            callback_list.on_train_batch_begin(step)
            train_step(batch)
            callback_list.on_train_batch_end(step, {})
        epoch_logs = _metrics(model)
        if validation_batches is not None:
            model.reset_metrics()
            for batch in validation_batches:
                test_step(batch)
            epoch_logs.update({f"val_{name}": value for name, value in _metrics(model).items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs=epoch_logs)
    return model.history


class _clip_after_all_reduce:
    """Gradient clipping on the global gradient, as on one process.

    Keras clips each replica's own gradients before the optimizer sums them,
    which changes the update whenever clipping bites. When the optimizer
    clips, its clipping step is wrapped: the replicas' gradients are summed
    first (an all-reduce), clipped, and divided by the number of replicas,
    so that the optimizer's own sum gives back the clipped global gradient.
    This costs a second all-reduce per step.
    """

    def __init__(self, optimizer, strategy):
        self.optimizer = optimizer
        self.original = None
        clips = any(getattr(optimizer, name, None) for name in
                    ("clipnorm", "global_clipnorm", "clipvalue"))
        if not clips or strategy.num_replicas_in_sync == 1:
            return
        import tensorflow as tf

        self.original = optimizer._clip_gradients
        replicas = strategy.num_replicas_in_sync

        def clip_global(grads):
            context = tf.distribute.get_replica_context()
            present = [g for g in grads if g is not None]
            summed = iter(context.all_reduce(tf.distribute.ReduceOp.SUM, present)) if present else iter(())
            total = [None if g is None else next(summed) for g in grads]
            return [None if g is None else g / replicas for g in self.original(total)]

        optimizer._clip_gradients = clip_global

    def undo(self) -> None:
        if self.original is not None:
            del self.optimizer._clip_gradients  # the class's method again


def _metrics(model) -> dict:
    """The metrics of the steps so far, aggregated over every replica."""
    return {name: float(value) for name, value in model.get_metrics_result().items()}
