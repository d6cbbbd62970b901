// CPU tests of kernels/runtime/segment_layout.h: which prompt rows a segment keeps at prefill end
// (text and A-VL layouts), how a segment grows per decode step against the simulator's count, which
// row an evicting step overwrites, and the A-VL layouts the sparse kernel gets.
#include "tests/support/catch.h"

#include "kernels/runtime/segment_layout.h"

#include <cmath>

namespace kvsim::runtime {
namespace {

RuntimeRequest request(int prompt, int output, int kept, float growth, int layers = 2, int heads = 2) {
  RuntimeRequest r{.id = 0, .prompt_tokens = prompt, .output_tokens = output, .budgets = {}};
  r.budgets.resize(layers, heads);
  for (std::size_t i = 0; i < r.budgets.kept.size(); ++i) {
    r.budgets.kept[i] = kept;
    r.budgets.growth[i] = growth;
  }
  return r;
}

// An A-VL request: prefix 35, 576 image tokens, 60 text tokens; per layer 288 image tokens stored,
// 172 computed; text kept 36.
RuntimeRequest avl_request() {
  RuntimeRequest r = request(35 + 576 + 60, 100, 35 + 288 + 36, 0.6f);
  r.prefix_tokens = 35;
  r.image_tokens = 576;
  r.image_stored = {288, 200};
  r.image_computed = {172, 100};
  r.budgets.kept[2] = r.budgets.kept[3] = 35 + 200 + 36;  // layer 1
  return r;
}

}  // namespace

TEST_CASE("prefill end: a text request keeps its last `kept` rows", "[runtime][layout]") {
  const RuntimeRequest r = request(1000, 10, 300, 1.0f);
  std::array<KeptBlock, 3> b;
  REQUIRE(prefill_kept_blocks(r, 0, 300, b) == 1);
  CHECK(b[0].src == 700);
  CHECK(b[0].dst == 0);
  CHECK(b[0].count == 300);
  CHECK(prefill_kept_blocks(r, 0, 0, b) == 0);
}

TEST_CASE("prefill end: an A-VL request keeps prefix | last stored image tokens | last text tokens", "[runtime][layout]") {
  const RuntimeRequest r = avl_request();
  std::array<KeptBlock, 3> b;
  REQUIRE(prefill_kept_blocks(r, 0, 35 + 288 + 36, b) == 3);
  CHECK((b[0].src == 0 && b[0].dst == 0 && b[0].count == 35));
  CHECK((b[1].src == 35 + 576 - 288 && b[1].dst == 35 && b[1].count == 288));
  CHECK((b[2].src == 671 - 36 && b[2].dst == 35 + 288 && b[2].count == 36));
  // Layer 1 stores fewer image tokens: the blocks follow the layer.
  REQUIRE(prefill_kept_blocks(r, 1, 35 + 200 + 36, b) == 3);
  CHECK((b[1].src == 35 + 576 - 200 && b[1].count == 200 && b[2].dst == 235));
  // No text kept: two blocks.
  CHECK(prefill_kept_blocks(r, 0, 35 + 288, b) == 2);
}

TEST_CASE("decode: a segment grows as kept + ceil(growth * d), then overwrites rows", "[runtime][layout]") {
  SECTION("growth 1 appends every step up to the capacity") {
    const RuntimeRequest r = request(500, 5, 100, 1.0f);
    int32_t length = 100;
    const int32_t capacity = peak_tokens(r, 0, 0);  // 100 + 4
    for (int d = 1; d <= 4; ++d) CHECK(decode_write_row(r, 0, 0, d, capacity, length) == 99 + d);
    CHECK(length == capacity);
  }
  SECTION("growth 0.6 follows the simulator's count, writing over old rows in between") {
    const RuntimeRequest r = request(500, 11, 100, 0.6f);
    const int32_t capacity = peak_tokens(r, 0, 0);  // 100 + ceil(0.6 * 10) = 106
    REQUIRE(capacity == 106);
    int32_t length = 100;
    int appended = 0;
    for (int d = 1; d <= 10; ++d) {
      const int32_t before = length;
      const int32_t row = decode_write_row(r, 0, 0, d, capacity, length);
      CHECK(length == std::min<int32_t>(capacity, 100 + static_cast<int32_t>(std::ceil(0.6 * d))));
      if (length > before) {
        CHECK(row == before);  // appended at the end
        ++appended;
      } else {
        CHECK((row >= 0 && row < length));  // an existing row, overwritten
      }
    }
    CHECK(appended == 6);
    CHECK(length == capacity);
  }
  SECTION("an A-VL segment overwrites only its text rows") {
    RuntimeRequest r = avl_request();
    int32_t length = 35 + 288 + 36;
    const int32_t capacity = peak_tokens(r, 0, 0);
    for (int d = 1; d <= 99; ++d) {
      const int32_t before = length;
      const int32_t row = decode_write_row(r, 0, 0, d, capacity, length);
      if (length == before) CHECK((row >= 35 + 288 && row < length));
    }
    CHECK(length == capacity);
  }
}

TEST_CASE("A-VL layouts: sparse on normal steps, dense on refresh steps", "[runtime][layout]") {
  const RuntimeRequest r = avl_request();
  const kernels::AvlRequest s = avl_sparse_layout(r, 1, 7 * 172);
  CHECK(s.prefix_len == 35);
  CHECK(s.num_secondary == 200);
  CHECK(s.num_core == 100);
  CHECK(s.core_offset == 7 * 172);
  // A normal step attends prefix + core + text: the simulator's computed tokens.
  CHECK(kernels::avl_sparse_tokens(s, 35 + 200 + 40) == 35 + 100 + 40);
  // The dense layout attends every row of any segment.
  CHECK(kernels::avl_sparse_tokens(avl_dense_layout(), 1234) == 1234);
  CHECK(refreshes(3, 3));
  CHECK(refreshes(6, 3));
  CHECK_FALSE(refreshes(4, 3));
  CHECK_FALSE(refreshes(3, 0));
  CHECK(is_avl(r));
  CHECK_FALSE(is_avl(request(10, 2, 5, 1.0f)));
}

}  // namespace kvsim::runtime
