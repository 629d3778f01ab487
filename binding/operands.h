// The tensor arguments of an export, described once each (position, name, element type, rank,
// whether null may stand for it, whether the export writes it) and checked by one parser: every
// export's tensors get the same checks in the same order, with the same messages.
#pragma once
#include <napi.h>

#include <array>
#include <utility>
#include <vector>

#include "tensor.h"

namespace wsr::binding {

// One tensor argument. Build with input(...) or output(...) and refine with the chained setters.
struct OperandSpec {
  size_t index;                        // position in the argument list
  const char* name;                    // in messages: "x", "dw", ...
  bool writes = false;                 // the export writes it (an output)
  int rank = -1;                       // required rank, -1 for any
  const char* dims = "";               // axis names for the rank message: "N,C,H,W"
  DType dtype = DType::Float32;
  bool nullable = false;               // null or undefined stand for "none"
  const char* in_place_of = nullptr;   // an output that may be exactly this input (same memory, same size)

  OperandSpec& optional() { nullable = true; return *this; }
  OperandSpec& of(DType t) { dtype = t; return *this; }
  OperandSpec& may_be(const char* input) { in_place_of = input; return *this; }
};

// A tensor the export reads / writes (or updates in place), at argument `index`.
inline OperandSpec input(size_t index, const char* name, int rank = -1, const char* dims = "") {
  return OperandSpec{index, name, false, rank, dims};
}
inline OperandSpec output(size_t index, const char* name, int rank = -1, const char* dims = "") {
  return OperandSpec{index, name, true, rank, dims};
}

class Operands {
 public:
  // Takes the tensors in the order listed: each a live tensor (or null where optional), then each of
  // its element type and rank. List the inputs first and the outputs after them: check_placement
  // names the later of two overlapping operands first ("y and x must not share memory").
  Operands(const Napi::CallbackInfo& info, std::initializer_list<OperandSpec> specs);

  // The operand called `name`; nullptr for an absent optional one.
  Tensor* get(const char* name) const;
  // The operand called `name`, which must be present.
  Tensor& operator[](const char* name) const;
  // Its float32 data; nullptr for an absent optional operand.
  float* f32(const char* name) const;
  // The device of the first operand (check_placement makes it everyone's).
  Device device() const;
  // Calls fn(name, tensor) for every present operand, in the order listed.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (size_t i = 0; i < count_; ++i)
      if (items_[i].tensor) fn(items_[i].spec.name, *items_[i].tensor);
  }

  // Every operand on one device, and no two sharing memory when either is written (an output may be
  // exactly the input it was declared in place of).
  void check_placement() const;

 private:
  static constexpr size_t kMaxOperands = 8;  // the most any export takes (lowRankMixBackward); no heap per call
  struct Item {
    OperandSpec spec;
    Tensor* tensor;
  };
  const Item& find(const char* name) const;
  std::array<Item, kMaxOperands> items_{};
  size_t count_ = 0;
};

}  // namespace wsr::binding
