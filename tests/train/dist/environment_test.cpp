// Rank detection from the launchers' environments: torchrun / oqvl launch, Slurm, OpenMPI, none,
// precedence, and one clear error per malformed value.
#include "oqvl/train/dist/environment.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "oqvl/core/error.h"

namespace oqvl::train {
namespace {

DistEnv detect(const std::map<std::string, std::string>& vars) {
  return detect_dist_env([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(DistEnvironment, NoneIsOneProcess) {
  const auto e = detect({});
  EXPECT_EQ(e.world, 1);
  EXPECT_EQ(e.rank, 0);
  EXPECT_FALSE(e.distributed());
  EXPECT_EQ(e.launcher, "none");
}

TEST(DistEnvironment, Torchrun) {
  const auto e = detect({{"RANK", "5"},
                         {"WORLD_SIZE", "16"},
                         {"LOCAL_RANK", "1"},
                         {"LOCAL_WORLD_SIZE", "8"},
                         {"MASTER_ADDR", "node01"},
                         {"MASTER_PORT", "29400"}});
  EXPECT_EQ(e.launcher, "torchrun");
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world, 16);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world, 8);
  EXPECT_EQ(e.nodes(), 2);
  EXPECT_EQ(e.master_addr, "node01");
  EXPECT_EQ(e.master_port, 29400);
}

TEST(DistEnvironment, SlurmTakesTheFirstNodeAsRendezvous) {
  const auto e = detect({{"SLURM_PROCID", "9"},
                         {"SLURM_NTASKS", "16"},
                         {"SLURM_LOCALID", "1"},
                         {"SLURM_STEP_TASKS_PER_NODE", "8(x2)"},
                         {"SLURM_STEP_NODELIST", "gpu[007-008]"}});
  EXPECT_EQ(e.launcher, "slurm");
  EXPECT_EQ(e.rank, 9);
  EXPECT_EQ(e.local_world, 8);
  EXPECT_EQ(e.master_addr, "gpu007");
  EXPECT_EQ(e.master_port, 29500);
  // MASTER_ADDR wins; torchrun's variables win over Slurm's (torchrun inside an allocation).
  EXPECT_EQ(detect({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"MASTER_ADDR", "10.0.0.1"}}).master_addr,
            "10.0.0.1");
  EXPECT_EQ(detect({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "4"}, {"RANK", "1"}, {"WORLD_SIZE", "2"}}).rank,
            1);
}

TEST(DistEnvironment, OpenMpi) {
  const auto e = detect({{"OMPI_COMM_WORLD_RANK", "2"},
                         {"OMPI_COMM_WORLD_SIZE", "4"},
                         {"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                         {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}});
  EXPECT_EQ(e.launcher, "mpi");
  EXPECT_EQ(e.rank, 2);
  EXPECT_EQ(e.master_addr, "127.0.0.1");
  // Across nodes the rendezvous host must be given.
  EXPECT_THROW(detect({{"OMPI_COMM_WORLD_RANK", "0"},
                       {"OMPI_COMM_WORLD_SIZE", "4"},
                       {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}}),
               Error);
}

TEST(DistEnvironment, BadValuesAreOneClearError) {
  try {
    detect({{"RANK", "x"}, {"WORLD_SIZE", "2"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("RANK='x'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(detect({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), Error);
  EXPECT_THROW(detect({{"RANK", "0"}, {"WORLD_SIZE", "0"}}), Error);
  EXPECT_THROW(detect({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}), Error);
}

TEST(DistEnvironment, SlurmHostlists) {
  EXPECT_EQ(first_slurm_host("node01"), "node01");
  EXPECT_EQ(first_slurm_host("a,b"), "a");
  EXPECT_EQ(first_slurm_host("gpu[003-005,007],cpu01"), "gpu003");
  EXPECT_EQ(first_slurm_host("gpu[12,14]"), "gpu12");
}

}  // namespace
}  // namespace oqvl::train
