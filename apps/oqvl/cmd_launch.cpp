// `oqvl launch --nproc N -- COMMAND...`: starts N ranks of a data-parallel job on this machine with
// the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT; train/dist/environment.h reads it), waits for them, and when one fails stops the
// others (SIGTERM, then SIGKILL after --grace seconds) and exits with that rank's code, naming it.
// SIGINT/SIGTERM to the launcher are passed to every rank, which get --signal-grace seconds to
// finish their step and save (oqvl train does) before SIGKILL. COMMAND "oqvl" means this executable.
// Torch-free: it runs without loading libtorch.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "oqvl/commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
void on_signal(int sig) { g_signal = sig; }

// A TCP port that is free now on the loopback interface (the kernel picks it).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("launch: cannot open a socket to pick a port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    fail("launch: cannot pick a free port (pass --master-port)");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

void run_launch(int nproc, const std::string& addr, int port, double grace, double signal_grace,
                std::vector<std::string> command) {
  if (nproc < 1) fail("launch: --nproc must be >= 1");
  if (command.empty()) fail("launch: no command after --");
  if (command[0] == "oqvl") {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) command[0] = self.string();
  }
  if (port == 0) port = free_port();
  std::vector<char*> argv;
  for (auto& a : command) argv.push_back(a.data());
  argv.push_back(nullptr);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  log::info("launch: {} ranks of '{}' (rendezvous {}:{})", nproc, command[0], addr, port);
  std::vector<pid_t> pids(nproc, -1);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) fail("launch: fork failed for rank {}", r);
    if (pid == 0) {
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("MASTER_ADDR", addr.c_str(), 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      ::execvp(argv[0], argv.data());
      std::fprintf(stderr, "oqvl: error: launch: cannot run '%s': %s\n", argv[0], std::strerror(errno));
      std::_Exit(127);
    }
    pids[r] = pid;
  }

  int running = nproc, failed_rank = -1, failed_status = 0;
  auto stop_all = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, sig);
  };
  std::chrono::steady_clock::time_point kill_at{};
  bool terminating = false;
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (int r = 0; r < nproc; ++r) {
        if (pids[r] != pid) continue;
        pids[r] = -1;
        --running;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && failed_rank < 0 && !terminating) {
          failed_rank = r;
          failed_status = status;
          if (running > 0)
            log::error("launch: rank {} {}; stopping the other {} rank(s)", r, describe(status), running);
        }
      }
      continue;
    }
    if (g_signal && !terminating) {
      log::warn("launch: got signal {}: passing it to the ranks", static_cast<int>(g_signal));
      stop_all(g_signal);
      terminating = true;
      kill_at = std::chrono::steady_clock::now() +
                std::chrono::milliseconds(static_cast<long>(signal_grace * 1000));
    }
    if (failed_rank >= 0 && !terminating && running > 0) {
      stop_all(SIGTERM);
      terminating = true;
      kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(grace * 1000));
    }
    if (terminating && running > 0 && std::chrono::steady_clock::now() > kill_at) {
      log::warn("launch: {} rank(s) still running after {} s: SIGKILL", running, grace);
      stop_all(SIGKILL);
      kill_at = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (failed_rank >= 0) {
    // A rank killed by a signal is reported with the exit code a shell would show for it.
    if (WIFSIGNALED(failed_status))
      fail("launch: rank {} of {} {} (exit code {})", failed_rank, nproc, describe(failed_status),
           128 + WTERMSIG(failed_status));
    fail("launch: rank {} of {} {}", failed_rank, nproc, describe(failed_status));
  }
  if (g_signal) throw Interrupted(g_signal, "launch: the signal was passed to every rank and they stopped");
}

}  // namespace

void register_launch(CLI::App& app) {
  struct Args {
    int nproc = 1, port = 0;
    std::string addr = "127.0.0.1";
    double grace = 10, signal_grace = 300;
    std::vector<std::string> command;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("launch",
                                 "Run N ranks of a distributed job on this machine (as torchrun does): "
                                 "oqvl launch --nproc N -- oqvl train ...");
  cmd->add_option("--nproc", a->nproc, "Ranks (processes) to start")->required();
  cmd->add_option("--master-addr", a->addr, "Rendezvous host (rank 0's TCPStore)")->capture_default_str();
  cmd->add_option("--master-port", a->port, "Rendezvous port; 0 = a free one")->capture_default_str();
  cmd->add_option("--grace", a->grace, "Seconds the other ranks get to exit after one failed")
      ->capture_default_str();
  cmd->add_option("--signal-grace", a->signal_grace,
                  "Seconds the ranks get after a SIGINT/SIGTERM passed on to them (train finishes its step "
                  "and saves a checkpoint) before SIGKILL")
      ->capture_default_str();
  cmd->add_option("command", a->command, "The command each rank runs (after --)")->required();
  cmd->callback([a] { run_launch(a->nproc, a->addr, a->port, a->grace, a->signal_grace, a->command); });
}

}  // namespace oqvl::cli
