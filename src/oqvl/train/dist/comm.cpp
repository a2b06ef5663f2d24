#include "oqvl/train/dist/comm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>

#include "oqvl/core/error.h"
#include "oqvl/core/log.h"

#ifdef OQVL_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "oqvl/train/dist/nccl_backend.h"
#endif

namespace oqvl::train {

namespace {

// What a collective of one rank returns: already complete.
struct Done : Pending {
  void wait() override {}
};

class SingleComm : public Comm {
 public:
  int rank() const override { return 0; }
  int world() const override { return 1; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void broadcast(torch::Tensor&, int) override {}
  void barrier() override {}
  void reduce_scatter_sum(const torch::Tensor& input, torch::Tensor& output) override { output.copy_(input); }
  void all_gather(const torch::Tensor& input, torch::Tensor& output) override { output.copy_(input); }
  std::unique_ptr<Pending> all_reduce_sum_start(torch::Tensor) override { return std::make_unique<Done>(); }
  std::unique_ptr<Pending> reduce_scatter_sum_start(torch::Tensor input, torch::Tensor output) override {
    output.copy_(input);
    return std::make_unique<Done>();
  }
  std::unique_ptr<Pending> all_gather_start(torch::Tensor input, torch::Tensor output) override {
    output.copy_(input);
    return std::make_unique<Done>();
  }
  std::unique_ptr<Comm> subgroup(const std::vector<int>&, const std::string&) override {
    return std::make_unique<SingleComm>();
  }
};

#ifdef OQVL_HAVE_GLOO
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Opens a process group over a store (Gloo here, NCCL in comm_nccl.cpp).
using BackendFactory = std::function<c10::intrusive_ptr<c10d::Backend>(const c10::intrusive_ptr<c10d::Store>&,
                                                                       int rank, int world)>;

std::shared_ptr<::gloo::transport::Device> gloo_device(const DistEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  // One node: loopback, whatever the host name resolves to.
  if (env.local_world >= env.world || env.master_addr == "localhost" || env.master_addr.starts_with("127."))
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// Collectives over one c10d backend; tensors on another device than the backend's (the step
// statistics are CPU doubles) travel through a copy.
class C10dComm : public Comm {
 public:
  C10dComm(const DistEnv& env, const CommOptions& o, BackendFactory factory, torch::Device device)
      : env_(env), options_(o), factory_(std::move(factory)), device_(device) {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    so.isServer = env.rank == 0;
    so.numWorkers = env.world;
    so.waitWorkers = true;
    so.timeout = o.timeout;
    try {
      store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
      group_ = factory_(store_, env_.rank, env_.world);
    } catch (const std::exception& e) {
      fail("rank {}: rendezvous with {} ranks at {}:{} failed: {}", env.rank, env.world, env.master_addr,
           env.master_port, first_line(e.what()));
    }
  }

  // A subgroup: the members' own process group over the same store, its keys under `name`.
  C10dComm(const C10dComm& parent, const std::vector<int>& ranks, const std::string& name)
      : env_(parent.env_),
        options_(parent.options_),
        factory_(parent.factory_),
        device_(parent.device_),
        store_(parent.store_),
        label_(name) {
    const auto it = std::find(ranks.begin(), ranks.end(), parent.rank());
    if (it == ranks.end()) fail("rank {}: not a member of group '{}'", env_.rank, name);
    rank_ = static_cast<int>(it - ranks.begin());
    world_ = static_cast<int>(ranks.size());
    try {
      group_ = factory_(c10::make_intrusive<c10d::PrefixStore>("group/" + name, store_), rank_, world_);
    } catch (const std::exception& e) {
      fail("rank {}: forming group '{}' failed: {}", env_.rank, name, first_line(e.what()));
    }
  }

  int rank() const override { return rank_ >= 0 ? rank_ : env_.rank; }
  int world() const override { return world_ >= 0 ? world_ : env_.world; }

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
        for (std::size_t k = start; k < end; ++k) parts.push_back(tensors[idx[k]].reshape({-1}).to(device_));
        auto flat = torch::cat(parts);
        all_reduce_sum_start(flat)->wait();
        std::int64_t offset = 0;
        for (std::size_t k = start; k < end; ++k) {
          auto& t = tensors[idx[k]];
          t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
          offset += t.numel();
        }
        start = end;
      }
    }
  }

  void broadcast(torch::Tensor& tensor, int root) override {
    std::vector<torch::Tensor> t{tensor.to(device_)};
    c10d::BroadcastOptions bo;
    bo.rootRank = root;
    run("broadcast", [&] { group_->broadcast(t, bo)->wait(options_.timeout); });
    if (!t[0].is_same(tensor)) tensor.copy_(t[0]);
  }

  void barrier() override {
    // An all-reduce of one number: Gloo's barrier has no per-call timeout of its own.
    std::vector<torch::Tensor> t{torch::zeros({1}, torch::TensorOptions().device(device_))};
    run("barrier", [&] { group_->allreduce(t)->wait(options_.timeout); });
  }

  void reduce_scatter_sum(const torch::Tensor& input, torch::Tensor& output) override {
    auto in = input.to(device_).contiguous();
    auto out = output.device() == device_ && output.is_contiguous() ? output
                                                                    : torch::empty_like(output, device_);
    reduce_scatter_sum_start(in, out)->wait();
    if (!out.is_same(output)) output.copy_(out);
  }

  void all_gather(const torch::Tensor& input, torch::Tensor& output) override {
    auto in = input.to(device_).contiguous();
    auto out = output.device() == device_ && output.is_contiguous() ? output
                                                                    : torch::empty_like(output, device_);
    all_gather_start(in, out)->wait();
    if (!out.is_same(output)) output.copy_(out);
  }

  std::unique_ptr<Pending> all_reduce_sum_start(torch::Tensor flat) override {
    require_local("all-reduce", flat);
    std::vector<torch::Tensor> t{flat};
    return start("all-reduce", [&] { return group_->allreduce(t); }, {flat});
  }

  std::unique_ptr<Pending> reduce_scatter_sum_start(torch::Tensor input, torch::Tensor output) override {
    if (input.numel() != output.numel() * world())
      fail("reduce-scatter: input has {} elements, expected {} x {}", input.numel(), world(), output.numel());
    require_local("reduce-scatter", input);
    require_local("reduce-scatter", output);
    return start("reduce-scatter", [&] { return group_->_reduce_scatter_base(output, input); },
                 {input, output});
  }

  std::unique_ptr<Pending> all_gather_start(torch::Tensor input, torch::Tensor output) override {
    if (output.numel() != input.numel() * world())
      fail("all-gather: output has {} elements, expected {} x {}", output.numel(), world(), input.numel());
    require_local("all-gather", input);
    require_local("all-gather", output);
    return start("all-gather", [&] { return group_->_allgather_base(output, input); }, {input, output});
  }

  std::unique_ptr<Comm> subgroup(const std::vector<int>& ranks, const std::string& name) override {
    return std::make_unique<C10dComm>(*this, ranks, name);
  }

 private:
  // A started c10d collective; keeps its tensors alive until it completed.
  class Started : public Pending {
   public:
    Started(C10dComm& comm, const char* what, c10::intrusive_ptr<c10d::Work> work,
            std::vector<torch::Tensor> keep)
        : comm_(comm), what_(what), work_(std::move(work)), keep_(std::move(keep)) {}
    ~Started() override {
      if (!work_) return;
      try {
        work_->wait(comm_.options_.timeout);
      } catch (...) {  // an error is already being handled; this one only says the same
      }
    }
    void wait() override {
      if (!work_) return;
      auto work = std::move(work_);
      comm_.run(what_, [&] { work->wait(comm_.options_.timeout); });
      keep_.clear();
    }

   private:
    C10dComm& comm_;
    const char* what_;
    c10::intrusive_ptr<c10d::Work> work_;
    std::vector<torch::Tensor> keep_;
  };

  template <typename F>
  std::unique_ptr<Pending> start(const char* what, F&& f, std::vector<torch::Tensor> keep) {
    c10::intrusive_ptr<c10d::Work> work;
    run(what, [&] { work = f(); });
    return std::make_unique<Started>(*this, what, std::move(work), std::move(keep));
  }

  void require_local(const char* what, const torch::Tensor& t) const {
    if (t.device() != device_ || !t.is_contiguous())
      fail("{}: a started collective needs a contiguous tensor on {}, got one on {}", what, device_.str(),
           t.device().str());
  }

  template <typename F>
  void run(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      fail("rank {}: {}{} failed (another rank exited, hung past the {} s timeout, or the network broke): {}",
           env_.rank, what, label_.empty() ? "" : " in group " + label_, options_.timeout.count() / 1000.0,
           first_line(e.what()));
    }
  }

  DistEnv env_;
  CommOptions options_;
  BackendFactory factory_;
  torch::Device device_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> group_;
  std::string label_;           // subgroups: their name (in errors)
  int rank_ = -1, world_ = -1;  // subgroups: rank and size within the group
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
  // One process: no group, unless `oqvl launch` / torchrun started it (a real group of size 1, so
  // a 1-rank job measures what the collectives cost; a 1-task Slurm or MPI job stays plain).
  if (!env.distributed() && env.launcher != "torchrun") return std::make_unique<SingleComm>();
  if (options.backend != "gloo" && options.backend != "nccl")
    fail("dist.backend '{}' is not supported (gloo: CPU tensors, nccl: CUDA tensors)", options.backend);
#ifdef OQVL_HAVE_GLOO
  log::debug("rank {}: rendezvous at {}:{} ({} ranks, {}, {})", env.rank, env.master_addr, env.master_port,
             env.world, env.launcher, options.backend);
  if (options.backend == "nccl") {
    if (!nccl_available())
      fail("dist.backend nccl: this oqvl build has no NCCL (it needs libtorch with CUDA and nccl.h from the "
           "nvidia-nccl wheel; scripts/setup.sh installs both)");
    const auto device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(options.device_index));
    auto timeout = options.timeout;
    return std::make_unique<C10dComm>(
        env, options,
        [timeout, device](const c10::intrusive_ptr<c10d::Store>& store, int rank, int world) {
          return make_nccl_backend(store, rank, world, timeout, device.index());
        },
        device);
  }
  return std::make_unique<C10dComm>(
      env, options,
      [env, timeout = options.timeout](const c10::intrusive_ptr<c10d::Store>& store, int rank, int world) {
        auto po = c10d::ProcessGroupGloo::Options::create(timeout);
        po->devices.push_back(gloo_device(env));
        return c10::intrusive_ptr<c10d::Backend>(
            c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, po));
      },
      torch::Device(torch::kCPU));
#else
  fail(
      "this oqvl build has no c10d process groups (install Debian's libgloo-dev and rebuild: scripts/setup.sh), so "
      "it runs one process only; the environment says rank {} of {}",
      env.rank, env.world);
#endif
}

}  // namespace oqvl::train
