#include "oqvl/report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "oqvl/report/html.h"

namespace oqvl::report {
namespace {

constexpr const char* kNonFiniteColor = "#d62728";

// Legend widths are estimated (no font metrics without a browser), per glyph class in em of the
// wider common sans-serif fonts (DejaVu Sans); erring wide only leaves more space.
double text_width(std::string_view s, double font_px) {
  double em = 0;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u & 0xC0) == 0x80) continue;  // UTF-8 continuation byte: same glyph
    if (std::string_view("mwMW@%").find(c) != std::string_view::npos) {
      em += 0.95;
    } else if (std::string_view("iljtfrI.,:;!|' ()[]").find(c) != std::string_view::npos) {
      em += 0.36;
    } else if (c >= 'A' && c <= 'Z') {
      em += 0.72;
    } else {
      em += 0.63;
    }
  }
  return em * font_px;
}

// Collects the points of one pixel column and hands on its first, lowest, highest and last.
class ColumnThinner {
 public:
  explicit ColumnThinner(std::vector<Point>& out) : out_(out) {}
  void add(std::size_t index, Point p) {
    const auto column = static_cast<long long>(std::floor(p.x));
    if (count_ > 0 && column != column_) flush();
    if (count_ == 0) {
      column_ = column;
      first_ = lo_ = hi_ = last_ = {index, p};
    } else {
      last_ = {index, p};
      if (p.y < lo_.second.y) lo_ = {index, p};
      if (p.y > hi_.second.y) hi_ = {index, p};
    }
    ++count_;
  }
  void flush() {
    if (count_ == 0) return;
    std::pair<std::size_t, Point> keep[] = {first_, lo_, hi_, last_};
    std::sort(std::begin(keep), std::end(keep),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < 4; ++i)
      if (i == 0 || keep[i].first != keep[i - 1].first) out_.push_back(keep[i].second);
    count_ = 0;
  }

 private:
  std::vector<Point>& out_;
  long long column_ = 0;
  std::size_t count_ = 0;
  std::pair<std::size_t, Point> first_{}, lo_{}, hi_{}, last_{};
};

}  // namespace

std::string line_path(const std::vector<double>& x, const std::vector<double>& y, const LinearScale& sx,
                      const LinearScale& sy, std::vector<Point>* dots) {
  std::string d;
  std::vector<Point> run;
  ColumnThinner thinner(run);
  auto end_run = [&] {
    thinner.flush();
    if (run.size() == 1 && dots) dots->push_back(run.front());
    if (run.size() >= 2) {
      for (std::size_t i = 0; i < run.size(); ++i) {
        if (!d.empty()) d += ' ';
        d += fmt::format("{}{:.1f} {:.1f}", i == 0 ? 'M' : 'L', run[i].x, run[i].y);
      }
    }
    run.clear();
  };
  const std::size_t n = std::min(x.size(), y.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      end_run();
      continue;
    }
    thinner.add(i, {sx(x[i]), sy(y[i])});
  }
  end_run();
  return d;
}

std::string render_svg(const LineChart& chart) {
  const double w = chart.width, h = chart.height;
  const double left = 64, right = 16, top = 40, bottom = 44;
  const double x0 = left, x1 = w - right, y1 = h - bottom;  // y0: below the legend

  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  std::vector<double> non_finite_x;
  for (const Series& s : chart.series) {
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i])) continue;
      if (!std::isfinite(s.y[i])) {
        non_finite_x.push_back(s.x[i]);
        continue;
      }
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  }
  for (double v : non_finite_x) {  // the x axis spans every step, finite or not
    xmin = std::min(xmin, v);
    xmax = std::max(xmax, v);
  }
  const bool has_points = ymin <= ymax;

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" font-family=\"system-ui, -apple-system, 'Segoe UI', "
      "sans-serif\" font-size=\"11\" fill=\"#333\">\n<title>{2}</title>\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>\n"
      "<text x=\"{3}\" y=\"22\" font-size=\"14\" font-weight=\"600\" fill=\"#222\">{2}</text>\n",
      chart.width, chart.height, html_escape(chart.title), x0);

  // Legend, right-aligned beside the title (more rows below it when it does not fit): named series
  // when there are several, and the non-finite marker when there are any.
  struct Item {
    std::string text, color;
    double width;
  };
  std::vector<std::vector<Item>> rows(1);
  std::size_t named = 0;
  for (const Series& s : chart.series) named += !s.name.empty();
  std::vector<Item> items;
  if (named >= 2)
    for (const Series& s : chart.series)
      if (!s.name.empty()) items.push_back({s.name, s.color, text_width(s.name, 11) + 22});
  if (!non_finite_x.empty())
    items.push_back({"non-finite", kNonFiniteColor, text_width("non-finite", 11) + 22});
  double room = x1 - (x0 + 1.08 * text_width(chart.title, 14) + 16), used = 0;
  for (Item& item : items) {
    if (used > 0 && used + item.width > room) {
      rows.emplace_back();
      room = x1 - x0;
      used = 0;
    }
    used += item.width + 14;
    rows.back().push_back(std::move(item));
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    // Right to left, each text anchored at its right end, so a row ends exactly at the plot's
    // edge whatever the font.
    double lx = x1;
    const double ty = 22 + 15.0 * static_cast<double>(r);
    for (auto it = rows[r].rbegin(); it != rows[r].rend(); ++it) {
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"end\">{}</text>", lx, ty,
                         html_escape(it->text));
      lx -= it->width;
      svg += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"/>\n", lx,
          ty - 4, lx + 16, ty - 4, html_escape(it->color));
      lx -= 14;
    }
  }
  const double y0 = top + 15.0 * static_cast<double>(rows.size() - 1);

  if (!has_points) {
    svg += fmt::format(
        "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"#fafafa\" stroke=\"#bbb\"/>\n"
        "<text x=\"{4}\" y=\"{5}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#888\">no data</text>\n",
        x0, y0, x1 - x0, y1 - y0, (x0 + x1) / 2, (y0 + y1) / 2);
  } else {
    if (chart.y_from_zero) {
      ymin = std::min(ymin, 0.0);
      ymax = std::max(ymax, 0.0);
    }
    const Ticks ty = nice_ticks(ymin, ymax, 6);
    // x: the data's own range (no blank margin after the last step); ticks inside it.
    double xlo = xmin, xhi = xmax;
    if (!(xhi > xlo)) {
      xlo -= 1;
      xhi += 1;
    }
    const Ticks tx = nice_ticks(xlo, xhi, 7, chart.x_integer);
    const LinearScale sx{xlo, xhi, x0, x1}, sy{ty.lo, ty.hi, y1, y0};

    svg += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">";
    for (double v : ty.values)
      svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>", x0, sy(v), x1,
                         sy(v));
    for (double v : tx.values)
      if (v >= xlo - 1e-9 * (xhi - xlo) && v <= xhi + 1e-9 * (xhi - xlo))
        svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>", sx(v), y0,
                           sx(v), y1);
    svg += "</g>\n<g text-anchor=\"end\">";
    for (double v : ty.values)
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", x0 - 6, sy(v) + 4,
                         format_tick(v, ty.step));
    svg += "</g>\n<g text-anchor=\"middle\">";
    for (double v : tx.values)
      if (v >= xlo - 1e-9 * (xhi - xlo) && v <= xhi + 1e-9 * (xhi - xlo))
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", sx(v), y1 + 16,
                           format_tick(v, tx.step));
    svg += "</g>\n";
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n",
                       x0, y0, x1 - x0, y1 - y0);

    for (const Series& s : chart.series) {
      std::vector<Point> dots;
      const std::string d = line_path(s.x, s.y, sx, sy, &dots);
      const std::string color = html_escape(s.color);
      if (!d.empty())
        svg += fmt::format(
            "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-opacity=\"{}\" "
            "stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n",
            d, color, s.stroke_width, s.opacity);
      for (const Point& p : dots)
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\" fill-opacity=\"{}\"/>\n",
                           p.x, p.y, std::max(2.0, s.stroke_width), color, s.opacity);
    }
    if (!non_finite_x.empty()) {
      std::sort(non_finite_x.begin(), non_finite_x.end());
      non_finite_x.erase(std::unique(non_finite_x.begin(), non_finite_x.end()), non_finite_x.end());
      std::string d;
      for (double v : non_finite_x) d += fmt::format("M{:.1f} {:.1f}v-8", sx(v), y1);
      svg += fmt::format(
          "<path d=\"{}\" stroke=\"{}\" stroke-width=\"2\"><title>{} non-finite value(s)</title></path>\n", d,
          kNonFiniteColor, non_finite_x.size());
    }
  }
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
                     (x0 + x1) / 2, h - 8, html_escape(chart.x_label));
  svg += fmt::format(
      "<text transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
      (y0 + y1) / 2, html_escape(chart.y_label));
  svg += "</svg>\n";
  return svg;
}

}  // namespace oqvl::report
