// Which process of a distributed job this is, read from the environment the common launchers set:
//   torchrun / `oqvl launch`: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
//   Slurm (srun):             SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE /
//                             SLURM_STEP_TASKS_PER_NODE; the rendezvous host is MASTER_ADDR or the
//                             first host of SLURM_STEP_NODELIST / SLURM_JOB_NODELIST
//   OpenMPI (mpirun):         OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_RANK,
//                             OMPI_COMM_WORLD_LOCAL_SIZE; MASTER_ADDR is required across nodes
// in that order of precedence; none of them = a single process. MASTER_PORT defaults to 29500.
// Torch-free; no state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace oqvl::train {

struct DistEnv {
  int rank = 0, world = 1;              // global
  int local_rank = 0, local_world = 1;  // on this node
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string launcher = "none";  // none | torchrun | slurm | mpi

  bool distributed() const { return world > 1; }
  int nodes() const { return local_world > 0 ? (world + local_world - 1) / local_world : 1; }
};

// Looks the variables up with `getenv` (std::getenv by default; tests pass a map). oqvl::Error
// naming the variable when a value is not a number, a rank is outside [0, world), or a
// multi-node MPI job has no MASTER_ADDR.
DistEnv detect_dist_env(const std::function<const char*(const char*)>& getenv = nullptr);

// The first host of a Slurm hostlist: "gpu[003-005,007],cpu01" -> "gpu003", "a,b" -> "a".
std::string first_slurm_host(const std::string& nodelist);

}  // namespace oqvl::train
