'use strict';
// plotly.js with only the trace types the explorer draws: core (which always includes scatter),
// bar (the spine chart, the excess-deaths bars) and choropleth (the Explore map, on a geo subplot).
// explorer/ui_plotly.py's BUNDLED_TRACES names the same three; a figure with any other trace type
// is drawn by st.plotly_chart instead. Rebuild with ./build.sh after changing this list.
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/choropleth')]);

module.exports = Plotly;
