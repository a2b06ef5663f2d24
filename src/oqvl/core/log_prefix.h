// A tag put before every log line and before the CLI's one-line error (e.g. "[rank 3] " in a
// distributed run, so the interleaved output of many processes stays readable); empty by default.
// Set it before other threads log.
#pragma once

#include <string>

namespace oqvl::log {

void set_prefix(std::string prefix);
const std::string& prefix();

}  // namespace oqvl::log
