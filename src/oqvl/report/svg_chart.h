// A line chart as one self-contained inline <svg> element: title, legend, axes with nice ticks,
// grid, one polyline per series. Non-finite values are gaps in their line (and marked in red on
// the x axis), never invalid SVG; a series with no finite point is left out, and a chart without
// any says "no data". Pure functions; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "oqvl/report/axis.h"

namespace oqvl::report {

struct Series {
  std::string name;          // legend text ("" = not in the legend)
  std::string color;         // a CSS colour
  std::vector<double> x, y;  // same length; a non-finite x or y is a gap
  double stroke_width = 1.5;
  double opacity = 1;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  int width = 580, height = 300;
  bool y_from_zero = false;  // the y axis includes 0 (rates, fractions)
  bool x_integer = true;     // x ticks are whole numbers (steps)
};

std::string render_svg(const LineChart& chart);

// The SVG path data of one series in screen coordinates: "M x y L x y ..." with a new "M" after
// each gap. Points that fall in the same pixel column are thinned to that column's first,
// lowest, highest and last point, so 100k steps do not make a 100k-point path. A point without a
// finite neighbour draws nothing in a path: it is returned in `dots` (drawn as a circle).
struct Point {
  double x, y;
};
std::string line_path(const std::vector<double>& x, const std::vector<double>& y, const LinearScale& sx,
                      const LinearScale& sy, std::vector<Point>* dots);

}  // namespace oqvl::report
