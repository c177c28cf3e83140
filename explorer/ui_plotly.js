// A plotly chart that stays mounted across Streamlit reruns (see explorer/ui_plotly.py for why).
//
// Streamlit calls this function on mount and again with every new `data`, always with the same
// parentElement, so the chart's <div> is kept and redrawn with Plotly.react: only what changed is
// redrawn, instead of the whole chart being built again for each change.

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__explorerPlotly) {
    window.__explorerPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__explorerPlotly = undefined;
        reject(new Error(`Could not load the chart library from ${src}`));
      };
      document.head.appendChild(script);
    });
  }
  return window.__explorerPlotly;
}

// Streamlit's own toolbar offers full screen for its charts; this keeps that in plotly's mode bar.
const FULL_SCREEN = {
  name: "fullscreen",
  title: "Full screen",
  icon: { width: 24, height: 24, path: "M3 3h7v2H5v5H3zm11 0h7v7h-2V5h-5zM3 14h2v5h5v2H3zm16 0h2v7h-7v-2h5z" },
  click: (gd) => (document.fullscreenElement === gd ? document.exitFullscreen() : gd.requestFullscreen()),
};

function followFullScreen(gd) {
  // In full screen the chart takes the screen's height (its figure fixes a height for the page).
  gd.addEventListener("fullscreenchange", () => {
    const full = document.fullscreenElement === gd;
    gd.style.background = full ? "white" : "";
    if (window.Plotly && gd._fullLayout) {
      window.Plotly.relayout(gd, { height: full ? window.innerHeight : gd.__explorerHeight });
    }
  });
}

function clickedPoints(event) {
  // The same fields st.plotly_chart reports for a selection, so callers read them alike.
  return (event.points || []).map((p) => ({
    x: p.x, y: p.y, customdata: p.customdata ?? null,
    curve_number: p.curveNumber, point_index: p.pointIndex ?? p.pointNumber,
  }));
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let gd = parentElement.querySelector(":scope > .explorer-plot");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "explorer-plot";
    gd.style.width = "100%";
    gd.setAttribute("role", "figure");
    parentElement.appendChild(gd);
    // Plotly's own `responsive` only follows the window; a column can change width without it
    // (the sidebar opening or closing), so follow the chart's own box.
    let width = 0;
    gd.__explorerResize = new ResizeObserver(([entry]) => {
      const now = Math.round(entry.contentRect.width);
      if (now !== width && width !== 0 && window.Plotly && gd._fullLayout) window.Plotly.Plots.resize(gd);
      width = now;
    });
    gd.__explorerResize.observe(gd);
    followFullScreen(gd);
  }
  if (data.label) gd.setAttribute("aria-label", data.label);
  const generation = (gd.__explorerGeneration || 0) + 1;
  gd.__explorerGeneration = generation;
  // Only the newest figure is drawn: a burst of reruns redraws once, in order.
  gd.__explorerNext = data;
  gd.__explorerSend = setTriggerValue;
  const draw = async () => {
    const next = gd.__explorerNext;
    if (!next) return;
    gd.__explorerNext = undefined;
    const Plotly = await loadPlotly(next.src);
    gd.__explorerClicks = next.clicks;
    // A rerun resends every chart; one whose figure did not change is left as it is.
    const config = JSON.stringify(next.config);
    if (next.figure === gd.__explorerFigure && config === gd.__explorerConfig) return;
    const figure = JSON.parse(next.figure);
    gd.__explorerHeight = figure.layout.height;
    const buttons = [...(next.config.modeBarButtonsToAdd || []), FULL_SCREEN];
    await Plotly.react(gd, figure.data, figure.layout, { ...next.config, modeBarButtonsToAdd: buttons });
    gd.__explorerFigure = next.figure;
    gd.__explorerConfig = config;
    if (!gd.__explorerListening) {
      gd.__explorerListening = true;
      gd.on("plotly_click", (event) => {
        if (gd.__explorerClicks) gd.__explorerSend("click", clickedPoints(event));
      });
    }
  };
  gd.__explorerQueue = (gd.__explorerQueue || Promise.resolve()).then(draw).catch((error) => {
    gd.textContent = `This chart could not be drawn: ${error.message}`;
  });
  // Streamlit keeps the cleanup of the newest call for unmount, and runs that of a call it has
  // already superseded at once: only the newest one may take the chart down.
  return () => {
    if (gd.__explorerGeneration !== generation) return;
    gd.__explorerResize.disconnect();
    if (window.Plotly) window.Plotly.purge(gd);
    gd.remove();
  };
}
