#!/usr/bin/env python3
"""Predicted against measured step time as an SVG scatter (log-log), one colour per link rate,
with the +-25% band: scripts/netns/plot_model.py OUT.svg COMPARISON.csv...
(the CSVs are `scripts/netns/compare.py COSTS bench.csv R`)."""
import csv, math, sys

out, files = sys.argv[1], sys.argv[2:]
rows = [r for f in files for r in csv.DictReader(open(f))]
size, margin = 420, 60
lo, hi = 1.0, 200.0
def x(v): return margin + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (size - 2 * margin)
def y(v): return size - margin - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (size - 2 * margin)
colours = {"none": "#1f77b4", "1gbit": "#d62728"}
shapes = {"flat": "square", "hierarchical": "circle", "bf16": "triangle"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 130}" height="{size}" font-family="sans-serif" font-size="11">',
       f'<rect width="100%" height="100%" fill="white"/>']
for t in (1, 2, 5, 10, 20, 50, 100, 200):
    svg.append(f'<line x1="{x(t):.1f}" y1="{y(lo):.1f}" x2="{x(t):.1f}" y2="{y(hi):.1f}" stroke="#eee"/>')
    svg.append(f'<line x1="{x(lo):.1f}" y1="{y(t):.1f}" x2="{x(hi):.1f}" y2="{y(t):.1f}" stroke="#eee"/>')
    svg.append(f'<text x="{x(t):.1f}" y="{size - margin + 15}" text-anchor="middle">{t}</text>')
    svg.append(f'<text x="{margin - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t}</text>')
band = " ".join(f"{x(v):.1f},{y(v * f):.1f}" for f, vs in ((1.25, (lo, hi / 1.25)), (0.75, (hi, lo))) for v in vs)
svg.append(f'<polygon points="{band}" fill="#999" fill-opacity="0.15"/>')
svg.append(f'<line x1="{x(lo):.1f}" y1="{y(lo):.1f}" x2="{x(hi):.1f}" y2="{y(hi):.1f}" stroke="#777" stroke-dasharray="4 3"/>')
def marker(shape, cx, cy, colour, fill="none"):
    """One point's symbol: a square, a triangle or a circle."""
    if shape == "square":
        return f'<rect x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" fill="{fill}" stroke="{colour}"/>'
    if shape == "triangle":
        return f'<polygon points="{cx:.1f},{cy - 4:.1f} {cx - 4:.1f},{cy + 3:.1f} {cx + 4:.1f},{cy + 3:.1f}" fill="{fill}" stroke="{colour}"/>'
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{fill}" stroke="{colour}"/>'

for r in rows:
    p, m = float(r["predicted_ms"]), float(r["measured_ms"])
    if not (lo <= p <= hi and lo <= m <= hi):
        continue
    svg.append(marker(shapes.get(r["variant"], "circle"), x(p), y(m), colours.get(r["rate"], "#2ca02c")))
svg.append(f'<text x="{size / 2}" y="{size - 20}" text-anchor="middle">predicted ms/step (mnist-mpi plan)</text>')
svg.append(f'<text transform="translate(16 {size / 2}) rotate(-90)" text-anchor="middle">measured ms/step</text>')
svg.append(f'<text x="{(size + 130) / 2}" y="20" text-anchor="middle" font-size="13">Emulated clusters: measured against the model (band: +-25%)</text>')
legend = [("unshaped veth", colours["none"], "circle"), ("1 Gb/s links", colours["1gbit"], "circle"),
          ("flat allreduce", "#333", "square"), ("hierarchical", "#333", "circle"), ("hierarchical bf16", "#333", "triangle")]
for i, (label, c, shape) in enumerate(legend):
    ly = 60 + 18 * i
    svg.append(marker(shape, size - 2, ly - 4, c, fill=c if c != "#333" else "none"))
    svg.append(f'<text x="{size + 8}" y="{ly}">{label}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg) + "\n")
