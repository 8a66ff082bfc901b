/**
 * A vega-lite spec → SVG text, in Node: vega-lite compiles it to a vega spec, a headless vega
 * View (renderer 'none': no canvas, no DOM) renders the SVG.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
