#include "oqvl/report/run_report.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace oqvl::report {
namespace {

using oqvl::test::error_of;
namespace fs = std::filesystem;

std::string synthetic_metrics(int steps) {
  std::string text;
  for (int s = 1; s <= steps; ++s)
    text += fmt::format(
        R"({{"kind":"train","step":{},"loss":{},"lr":{},"grad_norm":0.8,"tokens":4096,"tokens_per_s":5000.0,)"
        R"("images_per_s":40.0,"data_wait":0.02,"elapsed_s":{},"epoch":0.0}})"
        "\n",
        s, s == 7 ? std::string("NaN") : fmt::format("{}", 5.0 / (1 + 0.1 * s)), 1e-3 * s / steps, 0.8 * s);
  return text;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

TEST(RunReport, RendersEverySection) {
  RunReport r;
  r.run_name = "demo <run>";
  r.source = "runs/demo/metrics.jsonl";
  const std::string eval = R"({"kind":"eval","step":50,"accuracy":0.61})";
  r.metrics = parse_metrics_log(synthetic_metrics(50) + eval + "\n", "m");
  r.config_toml = "[run]\nname = \"demo\" # <b>not bold</b> & co\n";
  const std::string html = render_run_report(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Training run: demo &lt;run&gt;"), std::string::npos);
  EXPECT_EQ(html.find("demo <run>"), std::string::npos);
  EXPECT_NE(html.find("name = &quot;demo&quot; # &lt;b&gt;not bold&lt;/b&gt; &amp; co"), std::string::npos);
  // Loss, lr, grad norm, tokens/s, images/s, data wait, eval accuracy.
  EXPECT_EQ(count(html, "<svg "), 7u);
  EXPECT_EQ(count(html, "</svg>"), 7u);
  EXPECT_NE(html.find("smoothed (EMA"), std::string::npos);
  EXPECT_NE(html.find("eval: accuracy"), std::string::npos);
  EXPECT_NE(html.find("non-finite"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  // Self-contained: no script, no external resource.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("http://", html.find("<body>")), html.find("http://www.w3.org/2000/svg"));
}

TEST(RunReport, OnlyLoggedQuantitiesAreCharted) {
  RunReport r;
  r.run_name = "bare";
  r.source = "m";
  r.metrics = parse_metrics_log("{\"step\":1,\"loss\":2}\n{\"step\":2,\"loss\":1.5}\n", "m");
  const std::string html = render_run_report(r);
  EXPECT_EQ(count(html, "<svg "), 1u);  // the loss chart only
  EXPECT_NE(html.find("No config.toml"), std::string::npos);
}

TEST(RunReport, SameInputSameBytes) {
  RunReport r;
  r.run_name = "x";
  r.source = "m";
  r.metrics = parse_metrics_log(synthetic_metrics(20), "m");
  EXPECT_EQ(render_run_report(r), render_run_report(r));
}

TEST(RunReport, WritesIntoTheRunFolder) {
  oqvl::test::TempDir dir("run_report");
  const fs::path run = dir / "my_run";
  fs::create_directories(run);
  write_file_atomic(run / "metrics.jsonl", synthetic_metrics(10));
  write_file_atomic(run / "config.toml", "lr = 1e-3\n");
  const fs::path out = write_run_report(run);
  EXPECT_EQ(out, run / "report.html");
  const std::string html = read_file(out);
  EXPECT_NE(html.find("Training run: my_run"), std::string::npos);
  EXPECT_NE(html.find("lr = 1e-3"), std::string::npos);
  // A trailing slash names the same run.
  const fs::path other = write_run_report(run.string() + "/", dir / "elsewhere" / "r.html");
  EXPECT_NE(read_file(other).find("Training run: my_run"), std::string::npos);
  for (const auto& e : fs::directory_iterator(run))  // nothing temporary left behind
    EXPECT_NE(e.path().filename().string().front(), '.') << e.path();
}

TEST(RunReport, Errors) {
  oqvl::test::TempDir dir("run_report_errors");
  EXPECT_NE(error_of([&] { write_run_report(dir / "absent"); }).find("not a folder"), std::string::npos);
  EXPECT_NE(error_of([&] { write_run_report(dir.path); }).find("metrics.jsonl: no such file"),
            std::string::npos);
  write_file_atomic(dir / "metrics.jsonl", "");
  EXPECT_NE(error_of([&] { write_run_report(dir.path); }).find("no metrics lines"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "report.html"));
}

TEST(Format, DurationsAndCounts) {
  EXPECT_EQ(format_duration(0.42), "0.4s");
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3725), "1h02m");
  EXPECT_EQ(format_duration(std::nan("")), "n/a");
  EXPECT_EQ(format_count(950), "950");
  EXPECT_EQ(format_count(12345), "12.3k");
  EXPECT_EQ(format_count(4.567e6), "4.57M");
  EXPECT_EQ(format_count(123e9), "123G");
}

}  // namespace
}  // namespace oqvl::report
