#include "oqvl/train/dist/comm.h"

#include <fmt/format.h>

#include <cstdlib>
#include <map>

#include "oqvl/core/error.h"
#include "oqvl/core/log.h"

#ifdef OQVL_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace oqvl::train {

namespace {

class SingleComm : public Comm {
 public:
  int rank() const override { return 0; }
  int world() const override { return 1; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void broadcast(torch::Tensor&, int) override {}
  void barrier() override {}
};

#ifdef OQVL_HAVE_GLOO
class GlooComm : public Comm {
 public:
  GlooComm(const DistEnv& env, const CommOptions& o) : env_(env), options_(o) {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    so.isServer = env.rank == 0;
    so.numWorkers = env.world;
    so.waitWorkers = true;
    so.timeout = o.timeout;
    try {
      store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
      auto po = c10d::ProcessGroupGloo::Options::create(o.timeout);
      po->devices.push_back(make_device(env));
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, env.rank, env.world, po);
    } catch (const std::exception& e) {
      fail("rank {}: rendezvous with {} ranks at {}:{} failed: {}", env.rank, env.world, env.master_addr,
           env.master_port, first_line(e.what()));
    }
  }

  int rank() const override { return env_.rank; }
  int world() const override { return env_.world; }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    // Buckets per dtype: flatten, one all-reduce, copy back.
    std::map<c10::ScalarType, std::vector<std::size_t>> by_dtype;
    for (std::size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].defined() && tensors[i].numel() > 0) by_dtype[tensors[i].scalar_type()].push_back(i);
    for (const auto& [dtype, idx] : by_dtype) {
      std::size_t start = 0;
      while (start < idx.size()) {
        std::size_t end = start;
        std::int64_t bytes = 0;
        while (end < idx.size() && (end == start || bytes + tensors[idx[end]].nbytes() <=
                                                        static_cast<std::size_t>(options_.bucket_bytes))) {
          bytes += static_cast<std::int64_t>(tensors[idx[end]].nbytes());
          ++end;
        }
        std::vector<torch::Tensor> parts;
        for (std::size_t k = start; k < end; ++k) parts.push_back(tensors[idx[k]].reshape({-1}));
        std::vector<torch::Tensor> flat{torch::cat(parts)};
        run("all-reduce", [&] { group_->allreduce(flat)->wait(options_.timeout); });
        std::int64_t offset = 0;
        for (std::size_t k = start; k < end; ++k) {
          auto& t = tensors[idx[k]];
          t.copy_(flat[0].narrow(0, offset, t.numel()).view(t.sizes()));
          offset += t.numel();
        }
        start = end;
      }
    }
  }

  void broadcast(torch::Tensor& tensor, int root) override {
    std::vector<torch::Tensor> t{tensor};
    c10d::BroadcastOptions bo;
    bo.rootRank = root;
    run("broadcast", [&] { group_->broadcast(t, bo)->wait(options_.timeout); });
  }

  void barrier() override {
    // An all-reduce of one number: Gloo's barrier has no per-call timeout of its own.
    std::vector<torch::Tensor> t{torch::zeros({1})};
    run("barrier", [&] { group_->allreduce(t)->wait(options_.timeout); });
  }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  static std::shared_ptr<::gloo::transport::Device> make_device(const DistEnv& env) {
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
      return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
    // One node: loopback, whatever the host name resolves to.
    if (env.local_world >= env.world || env.master_addr == "localhost" || env.master_addr.starts_with("127."))
      return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
  }

  template <typename F>
  void run(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      fail("rank {}: {} failed (another rank exited, hung past the {} s timeout, or the network broke): {}",
           env_.rank, what, options_.timeout.count() / 1000.0, first_line(e.what()));
    }
  }

  DistEnv env_;
  CommOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};
#endif

}  // namespace

bool comm_available() {
#ifdef OQVL_HAVE_GLOO
  return true;
#else
  return false;
#endif
}

std::unique_ptr<Comm> make_comm(const DistEnv& env, const CommOptions& options) {
  if (!env.distributed()) return std::make_unique<SingleComm>();
  if (options.backend != "gloo")
    fail("dist.backend '{}' is not supported yet (gloo only: CPU tensors); NCCL is still to come",
         options.backend);
#ifdef OQVL_HAVE_GLOO
  log::debug("rank {}: rendezvous at {}:{} ({} ranks, {})", env.rank, env.master_addr, env.master_port,
             env.world, env.launcher);
  return std::make_unique<GlooComm>(env, options);
#else
  fail("this oqvl build has no Gloo (install Debian's libgloo-dev and rebuild: scripts/setup.sh), so it runs "
       "one process only; the environment says rank {} of {}",
       env.rank, env.world);
#endif
}

}  // namespace oqvl::train
