"""The ratings chart plots scores on a score axis over the rating bands, by calendar year, readable and described."""

import re

from lxml import etree

from workflow import charts
from workflow.charts import BAND_FILLS, DEFAULT_BANDS, SERIES, Point, Series

SVG = "{http://www.w3.org/2000/svg}"


def chart(*series):
    return etree.fromstring(str(charts.ratings(list(series), DEFAULT_BANDS, "历年考核", "说明", "平均分")))


def band_of(svg, y: float) -> str:
    """The label of the band drawn at height y."""
    for rect in svg.iter(f"{SVG}rect"):
        top, height = float(rect.get("y")), float(rect.get("height"))
        if rect.get("fill") in BAND_FILLS and top <= y <= top + height:
            label = next(t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "band"
                         and top <= float(t.get("y")) <= top + height)
            return label.split(" ")[0]
    raise AssertionError(f"no band at {y}")


def test_a_failing_score_plots_in_the_failing_band_not_between_good_and_pass():
    svg = chart(Series("郑州", [Point("2027", "优秀", 95), Point("2028", "不合格", 50), Point("2029", "合格", 70)]))
    marks = [float(c.get("cy")) for c in svg.iter(f"{SVG}circle")]
    assert [band_of(svg, y) for y in marks] == ["优秀", "不合格", "合格"]
    assert marks[1] > marks[2] > marks[0], "higher scores higher up"


def test_the_axes_are_scores_and_calendar_years():
    svg = chart(Series("郑州", [Point("2027", "良好", 85), Point("2029", "良好", 82)]))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"0", "20", "40", "60", "80", "100"} <= set(texts) and "平均分" in texts
    assert "2027" in texts and "2029" in texts
    assert svg.find(f"{SVG}title").text == "历年考核" and svg.find(f"{SVG}desc").text == "说明"
    assert svg.get("role") == "img" and len(svg.get("aria-labelledby").split()) == 2


def test_several_zones_get_a_legend_with_their_names_and_distinct_marks():
    svg = chart(Series("郑州", [Point("2027", "良好", 85)]), Series("赣州", [Point("2027", "合格", 65)]))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "郑州" in texts and "赣州" in texts
    assert svg.find(f".//{SVG}circle").get("fill") != svg.find(f".//{SVG}rect[@width='10']").get("fill")


def test_every_colour_that_draws_text_or_data_has_contrast_of_4_5_on_white_and_every_band():
    svg = str(charts.ratings([Series(f"z{i}", [Point("2027", "良好", 85)]) for i in range(len(SERIES))],
                             DEFAULT_BANDS, "t", "d", "平均分"))
    drawn = set(re.findall(r'fill="(#[0-9a-f]{6})"', svg)) - set(BAND_FILLS) | set(
        re.findall(r'stroke="(#[0-9a-f]{6})"', svg)) - {charts.GRID}
    assert drawn >= set(SERIES)
    for colour in drawn | {charts.TEXT} | set(charts.COLOURS.values()):
        for background in ("#ffffff", *BAND_FILLS):
            assert charts.contrast(colour, background) >= 4.5, (colour, background)


def test_the_bands_come_from_the_deployed_rating_table(app, session):
    from workflow.services import zones

    bands = zones.rating_bands(session)
    assert [(b.rating, b.low, b.high) for b in bands] == [("不合格", 0, 60), ("合格", 60, 80), ("良好", 80, 90),
                                                          ("优秀", 90, 100)]
