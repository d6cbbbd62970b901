// See full_policy.h.
#include "sim/policy/full_policy.h"

namespace kvsim {

void FullPolicy::footprint(const Request& request, PolicyFootprint& out) const {
  budgets_->budgets({.id = request.id, .prompt_tokens = request.prompt_tokens, .output_tokens = request.output_tokens},
                    out.stored);
  out.computed.clear();
  out.computed_growth.clear();
  out.refresh_extra.clear();
  out.prefill_share.clear();
}

}  // namespace kvsim
