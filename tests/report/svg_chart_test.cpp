#include "oqvl/report/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace oqvl::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

LineChart chart(std::string title, bool from_zero = false) {
  LineChart c;
  c.title = std::move(title);
  c.x_label = "step";
  c.y_label = "loss";
  c.y_from_zero = from_zero;
  return c;
}

Series line(std::string name, std::string color, std::vector<double> x, std::vector<double> y) {
  Series s;
  s.name = std::move(name);
  s.color = std::move(color);
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

TEST(LinePath, MapsPointsToScreen) {
  // x 0..10 -> 0..100, y 0..1 -> 50..0 (screen y grows downwards).
  const LinearScale sx{0, 10, 0, 100}, sy{0, 1, 50, 0};
  std::vector<Point> dots;
  EXPECT_EQ(line_path({0, 5, 10}, {0, 0.5, 1}, sx, sy, &dots), "M0.0 50.0 L50.0 25.0 L100.0 0.0");
  EXPECT_TRUE(dots.empty());
}

TEST(LinePath, NonFiniteValuesAreGaps) {
  const LinearScale sx{0, 10, 0, 100}, sy{0, 1, 10, 0};
  std::vector<Point> dots;
  const double inf = std::numeric_limits<double>::infinity();
  const std::string d = line_path({0, 1, 2, 3, 4, 5, 6}, {0, 1, kNaN, 1, inf, 0, 1}, sx, sy, &dots);
  // Run 1: x 0,1. x=3 alone between NaN and inf: a dot. Run 2: x 5,6.
  EXPECT_EQ(d, "M0.0 10.0 L10.0 0.0 M50.0 10.0 L60.0 0.0");
  ASSERT_EQ(dots.size(), 1u);
  EXPECT_DOUBLE_EQ(dots[0].x, 30);
  EXPECT_DOUBLE_EQ(dots[0].y, 0);
  EXPECT_EQ(d.find("nan"), std::string::npos);
}

TEST(LinePath, ThinsPointsWithinOnePixelColumn) {
  // 1000 points onto 10 pixels: each column keeps its first, lowest, highest and last point.
  std::vector<double> x, y;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(i);
    y.push_back(i % 2 ? 1 : 0);
  }
  const LinearScale sx{0, 1000, 0, 10}, sy{0, 1, 100, 0};
  const std::string d = line_path(x, y, sx, sy, nullptr);
  const std::size_t points = count(d, "M") + count(d, "L");
  EXPECT_LE(points, 11u * 4);
  EXPECT_GE(points, 10u * 3);
  // The extremes survive thinning.
  EXPECT_NE(d.find(" 0.0"), std::string::npos);
  EXPECT_NE(d.find(" 100.0"), std::string::npos);
}

TEST(RenderSvg, HasAxesTicksAndEscapedText) {
  LineChart c = chart("Loss <raw> & \"smooth\"");
  c.series.push_back(line("raw", "#123456", {0, 50, 100}, {3, 2.5, 2}));
  c.series.push_back(line("smoothed", "#654321", {0, 50, 100}, {3, 2.6, 2.2}));
  const std::string svg = render_svg(c);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("Loss &lt;raw&gt; &amp; &quot;smooth&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("<raw>"), std::string::npos);
  // y ticks 2.0 .. 3.0 by 0.2, x ticks 0..100 by 20.
  EXPECT_NE(svg.find(">2.0</text>"), std::string::npos);
  EXPECT_NE(svg.find(">3.0</text>"), std::string::npos);
  EXPECT_NE(svg.find(">100</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "stroke=\"#123456\""), 2u);  // path + legend swatch
  EXPECT_NE(svg.find(">smoothed</text>"), std::string::npos);
}

TEST(RenderSvg, NonFiniteValuesAreMarkedNotWritten) {
  LineChart c = chart("Loss");
  c.series.push_back(line("raw", "#000", {1, 2, 3, 4}, {2, kNaN, 1.5, 1}));
  const std::string svg = render_svg(c);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_NE(svg.find("non-finite"), std::string::npos);
  EXPECT_NE(svg.find("<circle"), std::string::npos);  // step 1 stands alone
}

TEST(RenderSvg, NoFinitePointSaysNoData) {
  LineChart c = chart("Loss");
  c.series.push_back(line("raw", "#000", {1, 2}, {kNaN, kNaN}));
  const std::string svg = render_svg(c);
  EXPECT_NE(svg.find("no data"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  LineChart empty = chart("Empty");
  EXPECT_NE(render_svg(empty).find("no data"), std::string::npos);
}

TEST(RenderSvg, SinglePointAndFromZero) {
  LineChart c = chart("lr", true);
  c.series.push_back(line("lr", "#000", {7}, {1e-3}));
  const std::string svg = render_svg(c);
  EXPECT_NE(svg.find("<circle"), std::string::npos);
  EXPECT_NE(svg.find(">0</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1e-3</text>"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(RenderSvg, LongLegendWrapsBelowTheTitle) {
  LineChart c = chart("eval: accuracy");
  for (const char* name : {"benchmark=mmbench", "benchmark=mmmu", "benchmark=seedbench", "benchmark=mmstar",
                           "benchmark=ai2d", "benchmark=textvqa"})
    c.series.push_back(line(name, "#000", {1, 2}, {0.1, 0.2}));
  const std::string one_row = [] {
    LineChart two = chart("eval: accuracy");
    two.series.push_back(line("a", "#000", {1, 2}, {0.1, 0.2}));
    two.series.push_back(line("b", "#111", {1, 2}, {0.1, 0.2}));
    return render_svg(two);
  }();
  const std::string svg = render_svg(c);
  EXPECT_NE(one_row.find("<rect x=\"64\" y=\"40\""), std::string::npos);              // the plot frame
  EXPECT_EQ(svg.find("<rect x=\"64\" y=\"40\""), std::string::npos);                  // pushed down
  EXPECT_NE(svg.find("y=\"37\" text-anchor=\"end\">benchmark="), std::string::npos);  // a second legend row
}

}  // namespace
}  // namespace oqvl::report
