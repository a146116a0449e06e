"""The server-drawn charts: bars proportional to their values inside the plot, gridlines on whole
counts."""
from gateway.pages.charts import bar_chart, column_chart, nice_max, tick_steps


def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value():
    assert [nice_max(v) for v in (0, 1, 2, 3, 7, 10, 11, 180, 201)] == [1, 1, 2, 5, 10, 10, 20, 200, 500]


def test_gridlines_fall_on_whole_counts():
    for top in (1, 2, 5, 10, 20, 50, 100, 200):
        steps = tick_steps(top)
        assert top % steps == 0, top


def test_columns_are_proportional_and_stay_in_the_plot():
    chart = column_chart([{"label": "26/01", "value": 0}, {"label": "26/02", "value": 4}, {"label": "26/03", "value": 8}])
    zero, four, eight = chart["bars"]
    assert zero["h"] == 0 and abs(eight["h"] - 2 * four["h"]) < 0.2
    assert all(b["y"] + b["h"] == chart["axis_y"] or abs(b["y"] + b["h"] - chart["axis_y"]) < 0.2 for b in chart["bars"])
    assert eight["x"] + eight["w"] <= chart["right"] and zero["x"] >= chart["left"]
    assert [t["value"] for t in chart["ticks"]] == [0, 2, 4, 6, 8, 10]


def test_bars_are_proportional_to_the_longest():
    chart = bar_chart([{"label": "应做未做的运维", "value": 7}, {"label": "故障修复超时", "value": 0}])
    long, none = chart["bars"]
    assert long["w"] == chart["width"] - chart["x0"] - 60 and none["w"] == 0
    assert chart["height"] == 2 * 28
