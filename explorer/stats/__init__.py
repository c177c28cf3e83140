"""Statistical methods of the explorer, matching Fingertips / PHEindicatormethods.

Pure numpy/scipy/Polars; no Streamlit import anywhere in this package. Modules:

* intervals   -- wilson, byar, exact_poisson, crude_rate_ci, isr (smr), mean_ci
* dsr         -- dobson, dsr_by_group (directly standardised rates, Dobson limits)
* ci_frame    -- ci_for_frame: fill a store frame's missing limits, set ci_method
* compare     -- compare (benchmarking, Fingertips method 1 / two CI levels), quintiles
* trend       -- recent_trend (Fingertips recent-trend marker)
* spc         -- xmr (NHS Making Data Count XmR charts)
* funnel      -- funnel_limits, funnel_flag
* disclosure  -- suppress_small_counts (NHS Digital 1-7 / round-to-5 rule)

`python -m explorer.stats.bench` times the vectorised methods.
"""

from ._common import POLARITY_HIGH, POLARITY_LOW, POLARITY_NONE, Z95, Z998, normalise_polarity, z_value
from .ci_frame import ci_for_frame
from .compare import compare, quintile_bounds, quintile_labels, quintiles
from .disclosure import control_flagged, control_revisions, suppress_small_counts
from .dsr import ESP2013, dobson, dsr_by_group
from .funnel import funnel_axis, funnel_flag, funnel_limits
from .intervals import byar, crude_rate_ci, exact_poisson, isr, mean_ci, smr, wilson
from .spc import xmr
from .trend import TrendResult, recent_trend, recent_trend_by_group

__all__ = [
    "ESP2013",
    "POLARITY_HIGH",
    "POLARITY_LOW",
    "POLARITY_NONE",
    "TrendResult",
    "Z95",
    "Z998",
    "byar",
    "ci_for_frame",
    "compare",
    "crude_rate_ci",
    "dobson",
    "dsr_by_group",
    "exact_poisson",
    "funnel_axis",
    "funnel_flag",
    "funnel_limits",
    "isr",
    "mean_ci",
    "normalise_polarity",
    "quintile_bounds",
    "quintile_labels",
    "quintiles",
    "recent_trend",
    "recent_trend_by_group",
    "smr",
    "suppress_small_counts",
    "control_flagged",
    "control_revisions",
    "wilson",
    "xmr",
    "z_value",
]
