// The real Qwen2 tokenizer (assets/, the Open-Qwen2VL layout) for the harnesses that tokenize:
// loaded once per fuzzing process, at the first input (well under a second, far below -timeout).
#pragma once

#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::fuzz {

inline const data::Tokenizer& qwen2_tokenizer() {
  static const data::Tokenizer tok = data::load_qwen2vl_tokenizer(OQVL_SOURCE_DIR
                                                                  "/assets/qwen2-tokenizer/tokenizer.json");
  return tok;
}

}  // namespace oqvl::fuzz
