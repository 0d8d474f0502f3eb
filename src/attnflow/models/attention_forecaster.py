"""AttentionForecaster: every forecast step attends to the encoded past."""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from attnflow._validation import check_choice, check_non_negative_int, check_positive_int, check_rate, check_seed, fail
from attnflow.layers import BahdanauAttention, MultiHeadAttention, TransformerEncoderBlock
from attnflow.models._forecast_encoder import encoder_block_arguments, legacy_block_layout
from attnflow.models._members import SeedEnsemble
from attnflow.models.forecast_blocks import anchor_and_level, context_scale, seasonal_difference_features
from attnflow.models.forecast_lags import attended_anchor, lag_bias_start, lag_scores

ENCODERS = ("lstm", "gru", "transformer", "none")
ATTENTIONS = ("multihead", "bahdanau", "none")  # the names Seq2SeqAttention and RNNWithAttention use
ATTENTION_ALIASES = {"multi_head": "multihead"}  # older name, still read (saved models, run configs)
QUERIES = ("learned", "state")
RESIDUALS = ("none", "level", "seasonal_naive", "seasonal_mean", "attended")
HEAD_ACTIVATIONS = ("gelu", "relu", "tanh", "linear")
# Of the weights in a saved model: 1 before issue #11 (the encoder's blocks saved as
# ForecastEncoderBlock), 2 since (attnflow.layers.TransformerEncoderBlock).
WEIGHTS_LAYOUT = 2


@dataclasses.dataclass
class ForecasterConfig:
    """The settings of an `AttentionForecaster`, with their defaults."""

    context: int = 36  # L: past steps the model reads
    horizon: int = 12  # H: steps forecast at once (direct, not recursive)
    num_targets: int = 1  # T: target columns
    num_covariates: int = 0  # C: width of the covariate inputs (values and their masks)
    encoder: str = "lstm"  # "lstm" | "gru" | "transformer" | "none" (attend to the projected inputs)
    attention: str = "multihead"  # "multihead" | "bahdanau" | "none" (the twin without attention);
    # "multi_head" is read as "multihead"
    query: str = "learned"  # "learned" horizon queries | "state": step embedding + encoder state
    units: int = 32  # width of the encoder, the queries and the head
    num_heads: int = 2  # heads of multi-head attention (and of transformer blocks)
    num_layers: int = 1  # encoder layers
    dropout: float = 0.1
    quantiles: tuple[float, ...] = ()  # e.g. (0.1, 0.5, 0.9); empty: point forecasts
    residual: str = "none"  # forecast = anchor + network: "none" | "level" | "seasonal_naive" | "seasonal_mean"
    # | "attended" (the attention-weighted mean of the context's values: the weights are what it copies)
    lag_bias: bool = False  # a learned score per head and lag, added to the attention's scores
    season_length: int = 1  # m for residual="seasonal_naive" and the level window
    future_covariates: bool = False  # whether queries see the covariates of the forecast steps
    seasonal_differences: bool = False  # also read x[t] - x[t - season_length] of the context
    highway: bool = False  # add a linear map of the (uncentred) context: LSTNet's autoregressive highway
    scale_by_context: bool = False  # divide the centred context by its std, multiply the output back (RevIN)
    head_activation: str = "gelu"  # of the head's hidden layer: "gelu" | "relu" | "tanh" | "linear"
    observation_dropout: float = 0.0  # in training, hide each observed context step with this probability
    members: int = 1  # independent copies (seeds seed..seed+members-1), each trained on its own loss;
    # forecasts and attention weights are their means
    seed: int | None = None  # dropout and the forecaster's own initializers (attention sub-layers draw
    # from Keras' global generator: keras.utils.set_random_seed makes a whole run repeatable)


@keras.saving.register_keras_serializable(package="attnflow")
class AttentionForecaster(SeedEnsemble, keras.Model):
    """A direct multi-horizon forecaster whose forecast steps attend to the past.

    The context window (targets with the observation mask, and covariates)
    is projected, given position embeddings and encoded by an LSTM, a GRU,
    transformer encoder blocks or nothing (`encoder="none"`). Each of the H
    forecast steps has a query (a learned step embedding, plus the encoder's
    last state with `query="state"`) that attends to the encoded past through
    `attnflow.layers.MultiHeadAttention` or `BahdanauAttention`; a small head
    turns the attended context and the query into that step's forecast.
    With `attention="none"` the head gets the encoder's last state instead:
    the same network without attention.

    Small series need an input/output design that does part of the work,
    and these options are that design, inside the network:
    `residual` makes the network forecast the difference from an anchor
    computed from its own context: the level (mean of the last
    `season_length` observed steps), the seasonal naive value, or the level
    plus the mean seasonal profile of the context ("seasonal_mean"); the
    context it reads is then centred on the level. With `residual="attended"`
    the anchor is what the attention points at: the mean of the context's
    values weighted by the attention weights (averaged over heads), each
    value taken relative to the mean of its own season and added to the
    current level (with `season_length=1`, the values themselves); the
    weights then show which past steps the forecast copies, and attending
    evenly to one phase of every season gives the "seasonal_mean" anchor.
    `lag_bias` adds a learned score per head and lag (the distance from
    the context step to the forecast step) to the attention's scores, so a
    fixed lag can be found without content; with `season_length` m > 1 it
    starts with 99% of each step's weight on lags m, 2m, ... (the
    "seasonal_mean" anchor, for `residual="attended"`). `seasonal_differences`
    adds x[t] - x[t - m] as an input, `scale_by_context` divides the centred
    context by its own spread and multiplies the output back (RevIN),
    `highway` adds a linear map of the context to the forecast (LSTNet's
    autoregressive component) and `head_activation="linear"` makes the
    head linear in the attended values. `observation_dropout` hides random
    observed context steps in training (as if missing), so the network
    learns to forecast across gaps. Unobserved steps are 0 in
    `context`, flagged by `observed`, left out of every anchor and never
    attended to.

    `members=N` makes the model a seed ensemble trained in one `fit`: N
    copies of the network (seeds seed..seed+N-1), each getting exactly the
    gradient of its own loss, as if trained alone on the same batches (the
    training loss reported is the mean of the members' losses). The
    forecast and the attention weights are the members' means; validation
    losses are those of the mean forecast.

    Args: the fields of `ForecasterConfig` (see there for defaults).

    Call arguments:
        inputs: dict with "context" [B, L, T] (scaled targets, 0 where not
            observed), "observed" [B, L, T] (1.0 = observed) and, when
            num_covariates > 0, "covariates" [B, L, C] and
            "future_covariates" [B, H, C].
        training: whether dropout is applied.
        return_attention_scores: also return the attention weights.

    Returns:
        forecasts [B, H, T] (or [B, H, T, Q] with quantiles), and with
        `return_attention_scores` the weights [B, heads, H, L] (multihead) or
        [B, H, L] (bahdanau).

    Example:
        >>> model = AttentionForecaster(context=24, horizon=6)
        >>> inputs = {"context": keras.random.normal((2, 24, 1)), "observed": keras.ops.ones((2, 24, 1))}
        >>> forecast, weights = model(inputs, return_attention_scores=True)
        >>> forecast.shape, weights.shape
        (TensorShape([2, 6, 1]), TensorShape([2, 2, 6, 24]))
    """

    def __init__(self, context: int = 36, horizon: int = 12, num_targets: int = 1,
                 num_covariates: int = 0, encoder: str = "lstm", attention: str = "multihead",
                 query: str = "learned", units: int = 32, num_heads: int = 2, num_layers: int = 1,
                 dropout: float = 0.1, quantiles=(), residual: str = "none", season_length: int = 1,
                 future_covariates: bool = False, seasonal_differences: bool = False,
                 highway: bool = False, scale_by_context: bool = False, head_activation: str = "gelu",
                 seed: int | None = None, members: int = 1, observation_dropout: float = 0.0,
                 lag_bias: bool = False, **kwargs):
        for name, value in (("context", context), ("horizon", horizon), ("num_targets", num_targets),
                            ("units", units), ("num_heads", num_heads), ("num_layers", num_layers),
                            ("season_length", season_length), ("members", members)):
            check_positive_int(name, value)
        check_non_negative_int("num_covariates", num_covariates)
        check_choice("encoder", encoder, ENCODERS)
        attention = ATTENTION_ALIASES.get(attention, attention) if isinstance(attention, str) else attention
        check_choice("attention", attention, ATTENTIONS)
        check_choice("query", query, QUERIES)
        check_choice("residual", residual, RESIDUALS)
        check_choice("head_activation", head_activation, HEAD_ACTIVATIONS)
        check_rate("dropout", dropout)
        check_rate("observation_dropout", observation_dropout)
        check_seed(seed)
        quantiles = tuple(float(q) for q in quantiles)
        if any(not 0.0 < q < 1.0 for q in quantiles) or list(quantiles) != sorted(set(quantiles)):
            fail("increasing quantiles in (0, 1)", quantiles=quantiles)
        if season_length > context and (residual.startswith("seasonal") or seasonal_differences):
            fail(f"season_length <= context={context} for residual={residual!r} and "
                 f"seasonal_differences={seasonal_differences}", season_length=season_length)
        if (attention == "multihead" or encoder == "transformer") and units % num_heads:
            fail(f"units divisible by num_heads={num_heads}", units=units)
        if residual == "attended" and attention == "none":
            fail("an attention other than 'none' for residual='attended' (the anchor is what it attends to)",
                 attention=attention)
        if lag_bias and attention != "multihead":
            fail("attention='multihead' for lag_bias=True", attention=attention)
        if future_covariates and num_covariates == 0:
            fail("num_covariates > 0 when future_covariates=True", num_covariates=num_covariates)
        super().__init__(**kwargs)
        self.context, self.horizon, self.num_targets = context, horizon, num_targets
        self.num_covariates, self.encoder, self.attention, self.query = num_covariates, encoder, attention, query
        self.units, self.num_heads, self.num_layers, self.dropout = units, num_heads, num_layers, dropout
        self.quantiles, self.residual, self.season_length = quantiles, residual, season_length
        self.future_covariates, self.seasonal_differences = future_covariates, seasonal_differences
        self.highway, self.scale_by_context, self.head_activation = highway, scale_by_context, head_activation
        self.seed, self.members, self.observation_dropout = seed, members, observation_dropout
        self.lag_bias = bool(lag_bias)
        self._member_outputs = None  # (mean, [B, H, T(, Q), N]) of the last training call
        if members > 1:
            config = {field.name: getattr(self, field.name) for field in dataclasses.fields(ForecasterConfig)}
            self.member_models = [
                AttentionForecaster(**{**config, "members": 1, "seed": None if seed is None else seed + i},
                                    name=f"member_{i}") for i in range(members)]
        else:
            self.member_models = []
            self._create_layers()

    @classmethod
    def from_forecaster_config(cls, config: ForecasterConfig) -> "AttentionForecaster":
        """Builds the model a `ForecasterConfig` describes."""
        return cls(**dataclasses.asdict(config))

    def _create_layers(self):
        # One derived seed per initializer and dropout; all None (random) when seed is None.
        seeds = iter([None] * 1000 if self.seed is None else range(self.seed * 1000, self.seed * 1000 + 1000))
        init = lambda: keras.initializers.GlorotUniform(seed=next(seeds))  # noqa: E731
        dense = lambda units, name, activation=None: keras.layers.Dense(  # noqa: E731
            units, activation=activation, kernel_initializer=init(), name=name)
        self.input_projection = dense(self.units, "input_projection")
        self.position_embedding = keras.layers.Embedding(
            self.context, self.units, embeddings_initializer=keras.initializers.RandomNormal(0, 0.1, next(seeds)),
            name="position_embedding")
        # Keys carry their position, so a forecast step can find a fixed lag.
        self.key_position_embedding = None if self.attention == "none" else keras.layers.Embedding(
            self.context, self.units, embeddings_initializer=keras.initializers.RandomNormal(0, 0.1, next(seeds)),
            name="key_position_embedding")
        self.step_embedding = keras.layers.Embedding(
            self.horizon, self.units, embeddings_initializer=keras.initializers.RandomNormal(0, 0.1, next(seeds)),
            name="step_embedding")
        if self.encoder in ("lstm", "gru"):
            rnn = keras.layers.LSTM if self.encoder == "lstm" else keras.layers.GRU
            self.encoder_layers = [rnn(self.units, return_sequences=True, kernel_initializer=init(),
                                       recurrent_initializer=keras.initializers.Orthogonal(seed=next(seeds)),
                                       seed=next(seeds), name=f"{self.encoder}_{i}") for i in range(self.num_layers)]
        elif self.encoder == "transformer":
            self.encoder_layers = [
                TransformerEncoderBlock(**encoder_block_arguments(self.units, self.num_heads, self.dropout,
                                                                  next(seeds)), name=f"encoder_block_{i}")
                for i in range(self.num_layers)]
        else:
            self.encoder_layers = []  # attention reads the projected inputs themselves
        self.state_projection = dense(self.units, "state_projection") if self.query == "state" else None
        self.future_projection = dense(self.units, "future_projection") if self.future_covariates else None
        if self.attention == "multihead":
            self.attention_layer = MultiHeadAttention(self.num_heads, self.units // self.num_heads,
                                                      seed=next(seeds), name="attention")
        elif self.attention == "bahdanau":
            self.attention_layer = BahdanauAttention(self.units, seed=next(seeds), name="attention")
        else:
            self.attention_layer = None
        # Score of head i for lag j + 1 (context step l, forecast step h: lag L - l + h).
        self.lag_bias_table = self.add_weight(
            shape=(self.num_heads, self.context + self.horizon - 1),
            initializer=lag_bias_start(self.num_heads, self.context, self.horizon, self.season_length),
            name="lag_bias") if self.lag_bias else None
        self.dropout_layer = keras.layers.Dropout(self.dropout, seed=next(seeds))
        self.observation_seed = keras.random.SeedGenerator(next(seeds)) if self.observation_dropout else None
        self.head_hidden = dense(self.units, "head_hidden", self.head_activation)
        # Zeros: training starts from the anchor (and highway) forecast and learns what to add.
        self.head_output = keras.layers.Dense(self.num_targets * max(1, len(self.quantiles)),
                                              kernel_initializer="zeros", name="head_output")
        self.highway_layer = keras.layers.Dense(
            self.horizon * self.num_targets, kernel_initializer="zeros", name="highway") if self.highway else None

    def call(self, inputs, training=None, return_attention_scores=False):
        if return_attention_scores and self.attention == "none":
            fail("return_attention_scores=False for a model with attention='none'", return_attention_scores=True)
        if self.member_models:
            return self._call_members(inputs, training, return_attention_scores)
        context = tf.convert_to_tensor(inputs["context"])  # [B, L, T]
        observed = tf.cast(inputs["observed"], context.dtype)  # [B, L, T]
        if training and self.observation_seed is not None:
            shown = keras.random.uniform(tf.shape(observed[..., :1]), seed=self.observation_seed)  # [B, L, 1]
            observed = observed * tf.cast(shown >= self.observation_dropout, context.dtype)  # [B, L, T]
            context = context * observed
        anchor, level = anchor_and_level(context, observed, self.horizon,
                                         "level" if self.residual == "attended" else self.residual,
                                         self.season_length)  # [B, H, T], [B, 1, T]
        scale = context_scale(context, observed, level) if self.scale_by_context else 1.0  # [B, 1, T]
        features = [(context - level) * observed / scale, observed]
        if self.seasonal_differences:
            features.append(seasonal_difference_features(context, observed, self.season_length))  # [B, L, T]
        if self.num_covariates:
            features.append(tf.cast(inputs["covariates"], context.dtype))  # [B, L, C]
        positions = self.position_embedding(tf.range(self.context))  # [L, units]
        x = self.input_projection(tf.concat(features, axis=-1)) + positions  # [B, L, units]
        step_observed = tf.reduce_any(observed > 0, axis=-1)  # [B, L]
        encoded = self._encode(x, step_observed, training)  # [B, L, units]
        state = encoded[:, -1]  # [B, units]
        queries = self._queries(state, inputs)  # [B, H, units]
        weights = None
        if self.attention_layer is None:
            attended = tf.repeat(state[:, None], self.horizon, axis=1)  # [B, H, units]
        else:
            keys = encoded + self.key_position_embedding(tf.range(self.context))  # [B, L, units]
            bias = {} if self.lag_bias_table is None else {
                "attention_bias": lag_scores(self.lag_bias_table, self.context, self.horizon)}
            attended, weights = self.attention_layer(
                queries, encoded, key=keys, value_mask=step_observed, return_attention_scores=True,
                training=training, **bias)  # [B, H, units], [B, heads, H, L] or [B, H, L]
            if self.residual == "attended":
                anchor = tf.cast(attended_anchor(weights, context, observed, level, self.season_length),
                                 self.compute_dtype)  # [B, H, T]
        hidden = self.head_hidden(tf.concat([attended, queries], axis=-1))  # [B, H, units]
        outputs = self.head_output(self.dropout_layer(hidden, training=training))  # [B, H, T * Q]
        if self.highway_layer is not None:
            anchor = anchor + self._highway(context * observed)  # [B, H, T]
        outputs = self._to_forecast(outputs, scale, anchor)  # [B, H, T] or [B, H, T, Q]
        return (outputs, weights) if return_attention_scores else outputs

    def _encode(self, x, step_observed, training):
        for layer in self.encoder_layers:
            if self.encoder == "transformer":  # every step attends to the observed ones
                x = layer(x, attention_mask=step_observed[:, None, :], training=training)  # [B, L, units]
            else:
                x = layer(x, training=training)  # [B, L, units]
        return self.dropout_layer(x, training=training)

    def _highway(self, context):
        flat = tf.reshape(tf.transpose(context, [0, 2, 1]), [-1, self.num_targets * self.context])  # [B, T * L]
        linear = tf.reshape(self.highway_layer(flat), [-1, self.num_targets, self.horizon])  # [B, T, H]
        return tf.transpose(linear, [0, 2, 1])  # [B, H, T]

    def _queries(self, state, inputs):
        queries = self.step_embedding(tf.range(self.horizon))[None]  # [1, H, units]
        if self.state_projection is not None:
            queries = queries + self.state_projection(state)[:, None]  # [B, H, units]
        if self.future_projection is not None:
            queries = queries + self.future_projection(inputs["future_covariates"])  # [B, H, units]
        batch = tf.shape(state)[0]
        return tf.broadcast_to(queries, [batch, self.horizon, self.units])  # [B, H, units]

    def _to_forecast(self, outputs, scale, anchor):
        outputs = tf.reshape(outputs, [-1, self.horizon, self.num_targets, max(1, len(self.quantiles))])
        # Sorting keeps quantile forecasts from crossing.
        outputs = tf.sort(outputs, axis=-1) * (scale[..., None] if self.scale_by_context else 1.0)
        outputs = outputs + anchor[..., None]  # [B, H, T, Q]
        return outputs if self.quantiles else outputs[..., 0]  # [B, H, T(, Q)]

    def attention_weights(self, inputs) -> tf.Tensor:
        """The attention weights for `inputs`: [B, heads, H, L] or [B, H, L]."""
        return self(inputs, training=False, return_attention_scores=True)[1]

    def dummy_inputs(self, batch: int = 1) -> dict[str, tf.Tensor]:
        """Zeros of the input shapes (builds the model)."""
        inputs = {"context": tf.zeros([batch, self.context, self.num_targets]),
                  "observed": tf.ones([batch, self.context, self.num_targets])}
        if self.num_covariates:
            inputs["covariates"] = tf.zeros([batch, self.context, self.num_covariates])
            inputs["future_covariates"] = tf.zeros([batch, self.horizon, self.num_covariates])
        return inputs

    def get_build_config(self):
        return {"context": self.context, "weights_layout": WEIGHTS_LAYOUT}

    def build_from_config(self, config):
        if config.get("weights_layout", 1) == 1:  # saved before issue #11
            legacy_block_layout(self)
        # Every weight's shape follows from the constructor arguments.
        self(self.dummy_inputs())

    def get_config(self):
        return {**super().get_config(), **{field.name: getattr(self, field.name)
                                           for field in dataclasses.fields(ForecasterConfig)}}
