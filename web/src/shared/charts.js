// ECharts with only what the pages draw (heatmap, bars, lines; canvas), sized to their element and
// redrawn when the window changes size. Every chart made here is kept in `window.lessonmesh.charts`
// by name, so that a test (or a curious supervisor) can read the numbers it draws.
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, HeatmapChart, LineChart, AriaComponent, GridComponent, LegendComponent, TitleComponent,
  TooltipComponent, VisualMapComponent, CanvasRenderer]);

window.lessonmesh = window.lessonmesh || { charts: {} };

const kTextStyle = { fontSize: 16, fontFamily: 'WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif' };

// Draws `option` into `el` (making the chart on first use) and registers it as `name`.
export function drawChart(name, el, option) {
  let chart = echarts.getInstanceByDom(el);
  if (!chart) {
    chart = echarts.init(el, null, { renderer: 'canvas' });
    window.addEventListener('resize', () => chart.resize());
  }
  chart.setOption({ textStyle: kTextStyle, aria: { enabled: true }, animation: false, ...option }, true);
  window.lessonmesh.charts[name] = chart;
  return chart;
}
