"""Charts drawn on the server as inline SVG geometry (no script, no CDN): the template draws the
rectangles and labels these functions place. Plain Python, so the geometry is testable."""
import math


def nice_max(value):
    """The axis top: the smallest of 1, 2, 5 × 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def column_chart(rows, width=1100, height=260, left=40, bottom=28, top=16):
    """Vertical bars, one per row {label, value}: the trend of 12 months. Returns the geometry
    {width, height, bars[{x, y, w, h, label, value, cx}], ticks[{y, value}], axis_y}."""
    rows = list(rows)
    top_value = nice_max(max([r["value"] for r in rows] or [0]))
    plot_w, plot_h = width - left - 10, height - top - bottom
    slot = plot_w / max(len(rows), 1)
    bar_w = max(4.0, slot * 0.6)
    bars = []
    for i, r in enumerate(rows):
        h = plot_h * r["value"] / top_value
        x = left + i * slot + (slot - bar_w) / 2
        bars.append({"x": round(x, 1), "y": round(top + plot_h - h, 1), "w": round(bar_w, 1), "h": round(h, 1),
                     "cx": round(x + bar_w / 2, 1), "label": r["label"], "value": r["value"]})
    steps = tick_steps(top_value)
    ticks = [{"y": round(top + plot_h - plot_h * k / steps, 1), "value": _tick(top_value * k / steps)}
             for k in range(steps + 1)]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "axis_y": top + plot_h,
            "left": left, "right": width - 10}


def bar_chart(rows, width=1100, row_h=28, label_w=240, value_w=60):
    """Horizontal bars, one per row {label, value}, longest first as given: counts by rule,
    district or institution. Returns {width, height, bars[{y, w, label, value, ty}], x0}."""
    rows = list(rows)
    top_value = max([r["value"] for r in rows] or [0]) or 1
    plot_w = width - label_w - value_w
    bars = [{"y": i * row_h + 4, "h": row_h - 8, "ty": i * row_h + row_h / 2 + 5,
             "w": round(max(plot_w * r["value"] / top_value, 2 if r["value"] else 0), 1),
             "label": r["label"], "value": r["value"]} for i, r in enumerate(rows)]
    return {"width": width, "height": max(len(rows), 1) * row_h, "bars": bars, "x0": label_w}


def tick_steps(top_value):
    """How many gridlines above zero: whole counts on each (1, 2, 5 → as many; 10, 20, 50… → 5)."""
    return 5 if top_value >= 5 and top_value % 5 == 0 else max(1, min(int(top_value), 5))


def _tick(value):
    return int(value) if float(value).is_integer() else round(value, 1)
