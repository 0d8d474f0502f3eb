"""The command-line face of "forecast" (no TensorFlow, no pandas; see attnflow.tasks.flags)."""

from __future__ import annotations

from attnflow.tasks.flags import TaskFlags

# attnflow.data.builtin_series.BUILTIN_SERIES and DEFAULT_SERIES, builtin_panels.BUILTIN_PANELS
# and AttentionForecaster's attentions (a test keeps them equal; those modules need pandas and
# TensorFlow)
SERIES_NAMES = ("airpassengers", "co2", "co2_monthly", "elecdemand", "sunspots")
PANEL_NAMES = ("tourism_monthly", "tourism_quarterly", "tourism_yearly")
DEFAULT_SERIES = "airpassengers"
ATTENTIONS = ("multihead", "bahdanau", "none")


class ForecastFlags(TaskFlags):
    name = "forecast"
    summary = "a time series (AirPassengers, sunspots, co2, ... or your CSV) -> forecasts with attention"
    attention_names = ATTENTIONS  # --attention's values ("multi_head" is still read as "multihead")

    def add_arguments(self, parser, command: str) -> None:
        if command == "train":
            parser.add_argument("--dataset", dest="options.dataset", choices=SERIES_NAMES + PANEL_NAMES,
                                help=f"built-in series or panel (default {DEFAULT_SERIES})")
            parser.add_argument("--id-col", dest="options.id_col", metavar="C",
                                help="the file's series id column: many series in long format")
            parser.add_argument("--time-col", dest="options.time_col", metavar="C",
                                help="the file's time column (default: time)")
            parser.add_argument("--target", dest="options.target", nargs="+", metavar="T",
                                help="the file's target column(s)")
            parser.add_argument("--covariates", dest="options.covariates", nargs="+", metavar="C",
                                help="the file's covariate columns; only their past values are "
                                     "read (future values are neither needed nor used)")
            parser.add_argument("--future-covariates", dest="options.future_covariates", nargs="+",
                                metavar="C", help="covariate columns known for the forecast steps too")
            parser.add_argument("--static-covariates", dest="options.static_covariates", nargs="+",
                                metavar="C", help="per-series constant columns of a panel")
            parser.add_argument("--calendar", dest="options.calendar", action="store_const", const=True,
                                help="calendar features of the time index as future covariates")
            parser.add_argument("--limit", dest="options.limit", type=int, metavar="N",
                                help="a panel's first N series only")
            parser.add_argument("--horizon", dest="options.horizon", type=int, metavar="H",
                                help="steps to forecast (= the test part)")
            parser.add_argument("--context", dest="options.context", type=int, metavar="L",
                                help="past steps the model reads")
            parser.add_argument("--quantiles", dest="options.quantiles", nargs="+", type=float,
                                metavar="Q", help="quantile forecasts, e.g. 0.1 0.5 0.9")
            parser.add_argument("--backtest", dest="options.backtest", type=int, metavar="K",
                                help="rolling-origin evaluation over the last K windows")
        if command == "predict":
            parser.add_argument("--future", metavar="FILE",
                                help="the future covariates' values over the forecast steps "
                                     "(id, time and the --future-covariates columns)")
            parser.add_argument("--top-k", dest="top_k", type=int, default=5, metavar="K",
                                help="past steps listed per forecast step with --show-attention")
            parser.add_argument("--plots", metavar="DIR",
                                help="with --show-attention: where forecast_attention.png and "
                                     "forecast_attention_top_k.json go (default RUN/attention/predicted)")
