#include "oqvl/train/dist/environment.h"

#include <charconv>
#include <cstdlib>

#include "oqvl/core/error.h"

namespace oqvl::train {

namespace {

int parse_int(const char* name, const char* value) {
  int out = 0;
  const char* end = value + std::char_traits<char>::length(value);
  auto [ptr, ec] = std::from_chars(value, end, out);
  if (ec != std::errc() || ptr != end) fail("environment: {}='{}' is not an integer", name, value);
  return out;
}

// Slurm writes tasks per node as "8" or "8(x2)" or "8(x2),4": the first count is this job's shape.
int leading_count(const char* name, const char* value) {
  std::string v(value);
  const auto cut = v.find_first_not_of("0123456789");
  return parse_int(name, v.substr(0, cut).c_str());
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // The first comma outside brackets ends the first entry.
  int depth = 0;
  std::size_t end = nodelist.size();
  for (std::size_t i = 0; i < nodelist.size(); ++i) {
    if (nodelist[i] == '[') ++depth;
    if (nodelist[i] == ']') --depth;
    if (nodelist[i] == ',' && depth == 0) {
      end = i;
      break;
    }
  }
  const std::string first = nodelist.substr(0, end);
  const auto open = first.find('[');
  if (open == std::string::npos) return first;
  // "gpu[003-005,007]": the prefix plus the first number of the range, zero padding kept.
  const std::string prefix = first.substr(0, open);
  std::string inside = first.substr(open + 1);
  const auto stop = inside.find_first_of("-,]");
  return prefix + inside.substr(0, stop);
}

DistEnv detect_dist_env(const std::function<const char*(const char*)>& getenv_fn) {
  auto get = [&](const char* name) -> const char* {
    const char* v = getenv_fn ? getenv_fn(name) : std::getenv(name);
    return v && *v ? v : nullptr;
  };
  auto num = [&](const char* name, int fallback) {
    const char* v = get(name);
    return v ? parse_int(name, v) : fallback;
  };
  DistEnv e;
  if (get("RANK") && get("WORLD_SIZE")) {
    e.launcher = "torchrun";
    e.rank = num("RANK", 0);
    e.world = num("WORLD_SIZE", 1);
    e.local_rank = num("LOCAL_RANK", e.rank);
    e.local_world = num("LOCAL_WORLD_SIZE", e.world);
  } else if (get("SLURM_PROCID") && get("SLURM_NTASKS")) {
    e.launcher = "slurm";
    e.rank = num("SLURM_PROCID", 0);
    e.world = num("SLURM_NTASKS", 1);
    e.local_rank = num("SLURM_LOCALID", 0);
    if (const char* v = get("SLURM_STEP_TASKS_PER_NODE")) {
      e.local_world = leading_count("SLURM_STEP_TASKS_PER_NODE", v);
    } else if (const char* w = get("SLURM_NTASKS_PER_NODE")) {
      e.local_world = leading_count("SLURM_NTASKS_PER_NODE", w);
    } else {
      e.local_world = e.world;
    }
    if (!get("MASTER_ADDR")) {
      const char* list = get("SLURM_STEP_NODELIST");
      if (!list) list = get("SLURM_JOB_NODELIST");
      if (list) e.master_addr = first_slurm_host(list);
    }
  } else if (get("OMPI_COMM_WORLD_RANK") && get("OMPI_COMM_WORLD_SIZE")) {
    e.launcher = "mpi";
    e.rank = num("OMPI_COMM_WORLD_RANK", 0);
    e.world = num("OMPI_COMM_WORLD_SIZE", 1);
    e.local_rank = num("OMPI_COMM_WORLD_LOCAL_RANK", 0);
    e.local_world = num("OMPI_COMM_WORLD_LOCAL_SIZE", e.world);
    if (e.local_world < e.world && !get("MASTER_ADDR"))
      fail("environment: a multi-node mpirun job needs MASTER_ADDR (the host of rank 0), e.g. "
           "mpirun -x MASTER_ADDR=node01 ...");
  }
  if (const char* a = get("MASTER_ADDR")) e.master_addr = a;
  e.master_port = num("MASTER_PORT", e.master_port);
  if (e.world < 1) fail("environment: world size {} must be >= 1", e.world);
  if (e.rank < 0 || e.rank >= e.world) fail("environment: rank {} is outside [0, {})", e.rank, e.world);
  if (e.local_world < 1 || e.local_rank < 0 || e.local_rank >= e.local_world)
    fail("environment: local rank {} is outside [0, {})", e.local_rank, e.local_world);
  if (e.master_port < 1 || e.master_port > 65535)
    fail("environment: MASTER_PORT {} is not a port", e.master_port);
  return e;
}

}  // namespace oqvl::train
