// Smoothing a noisy curve (the loss) for display: a bias-corrected exponential moving average,
// so the first points are not pulled towards 0. Non-finite inputs are skipped (the average carries
// over them) and stay non-finite in the output, so the smoothed line has the same gaps as the raw
// one. Pure function; safe from any thread.
#pragma once

#include <cstddef>
#include <vector>

namespace oqvl::report {

// `span` points: the weight of a point decays by 1 - 2 / (span + 1) per later point; span <= 1
// returns the input.
std::vector<double> ema_smooth(const std::vector<double>& y, double span);

// A span for `n` points that evens out step-to-step noise but keeps the trend: n / 20, at least 1,
// at most 200.
double default_smoothing_span(std::size_t n);

}  // namespace oqvl::report
