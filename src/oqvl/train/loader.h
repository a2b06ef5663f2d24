// The training data loader: a producer thread takes rows from a RowSource, groups them into
// micro-batches, decodes and preprocesses their images on a thread pool, and builds each
// micro-batch's assembly plan and attention layout on the host (model::plan_assembly), so the
// training step only copies finished tensors to the device. Up to `prefetch` micro-batches wait
// in a queue. next() reports how long the caller waited (the step's data-wait share).
//
// Errors in the producer (a corrupt shard, an undecodable image) are rethrown by next().
// next() is for one consumer thread.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "oqvl/core/thread_pool.h"
#include "oqvl/model/vlm.h"
#include "oqvl/train/row_source.h"

namespace oqvl::train {

struct MicroBatch {
  model::VlmBatch batch;          // host tensors: input_ids, lengths, labels, pixels [N,3,S,S] fp32
  model::AssemblyPlan plan;       // host
  model::AttentionLayout layout;  // host: positions [B,T'] and, per-sample, the mask
  std::int64_t rows = 0, samples = 0, images = 0;
  std::int64_t label_tokens = 0;  // positions with a counted label (plan.loss_positions)
  std::int64_t positions = 0;     // valid positions after image expansion (what "tokens/s" counts)
  DataPosition after;             // the source position after this micro-batch
};

struct LoaderOptions {
  std::int64_t micro_batch = 1;
  std::int64_t image_tokens = 144;
  std::int64_t context = 4096;
  bool per_sample_attention = false;
  int threads = 2;
  int prefetch = 4;
  // Data parallelism: of every `world` consecutive rows of the source this loader keeps the
  // `rank`-th, so the ranks together see the single-process row stream, each row once, and the
  // source position after a micro-batch is the same on every rank (resume needs one position).
  int rank = 0, world = 1;
};

class Loader {
 public:
  // Starts producing from `source` at its current position.
  Loader(std::unique_ptr<RowSource> source, const model::VlmConfig& config, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next micro-batch; `waited_s` gets the seconds spent blocked. oqvl::Error when the source
  // has no data or the producer failed.
  MicroBatch next(double* waited_s = nullptr);

 private:
  void produce();

  std::unique_ptr<RowSource> source_;
  model::VlmConfig config_;
  LoaderOptions options_;
  ThreadPool pool_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<MicroBatch> queue_;
  std::exception_ptr error_;
  bool stop_ = false;
  std::thread producer_;
};

// The host-side work of one micro-batch (what the producer does), exposed for tests and for
// callers that want no thread: rows -> tensors, plan and layout.
MicroBatch collate(std::vector<Row>& rows, const model::VlmConfig& config, const LoaderOptions& options,
                   ThreadPool* pool = nullptr);

}  // namespace oqvl::train
