#include "operands.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "args.h"

namespace wsr::binding {

Operands::Operands(const Napi::CallbackInfo& info, std::initializer_list<OperandSpec> specs) {
  if (specs.size() > kMaxOperands) throw std::logic_error("an export with more than 8 tensor arguments");
  for (const OperandSpec& spec : specs) {
    Tensor* t = spec.nullable ? optional_tensor_arg(info, spec.index, spec.name) : &tensor_arg(info, spec.index, spec.name);
    items_[count_++] = Item{spec, t};
  }
  for (size_t i = 0; i < count_; ++i) {
    const Item& item = items_[i];
    if (!item.tensor) continue;
    expect_dtype(*item.tensor, item.spec.dtype, item.spec.name);
    if (item.spec.rank >= 0) expect_rank(*item.tensor, static_cast<size_t>(item.spec.rank), item.spec.name, item.spec.dims);
  }
}

const Operands::Item& Operands::find(const char* name) const {
  for (size_t i = 0; i < count_; ++i)
    if (std::strcmp(items_[i].spec.name, name) == 0) return items_[i];
  throw std::logic_error(std::string("no operand named ") + name);  // a mistake in the export, not in its call
}

Tensor* Operands::get(const char* name) const { return find(name).tensor; }

Tensor& Operands::operator[](const char* name) const {
  Tensor* t = find(name).tensor;
  if (!t) throw std::logic_error(std::string("operand ") + name + " is optional and absent");
  return *t;
}

float* Operands::f32(const char* name) const {
  const Tensor* t = get(name);
  return t ? t->f32() : nullptr;
}

Device Operands::device() const {
  for (size_t i = 0; i < count_; ++i)
    if (items_[i].tensor) return items_[i].tensor->device();
  throw std::logic_error("an export without tensors has no device");
}

namespace {

// `out` is exactly the input it may replace: the same memory and size.
bool in_place(const OperandSpec& out, const Tensor& out_tensor, const OperandSpec& in, const Tensor& in_tensor) {
  return out.in_place_of && std::strcmp(out.in_place_of, in.name) == 0 && out_tensor.data() == in_tensor.data() &&
         out_tensor.byte_length() == in_tensor.byte_length();
}

}  // namespace

void Operands::check_placement() const {
  const Item* first = nullptr;
  for (size_t j = 0; j < count_; ++j) {
    const Item& later = items_[j];
    if (!later.tensor) continue;
    if (!first) first = &later;
    if (later.tensor->device() != first->tensor->device())
      throw ArgumentRangeError(std::string(later.spec.name) + " is on " + later.tensor->device().str() + " but " +
                               first->spec.name + " is on " + first->tensor->device().str());
  }
  for (size_t j = 0; j < count_; ++j) {
    const Item& later = items_[j];
    if (!later.tensor) continue;
    for (size_t i = 0; i < j; ++i) {
      const Item& earlier = items_[i];
      if (!earlier.tensor || !(earlier.spec.writes || later.spec.writes)) continue;
      if (in_place(later.spec, *later.tensor, earlier.spec, *earlier.tensor) ||
          in_place(earlier.spec, *earlier.tensor, later.spec, *later.tensor))
        continue;
      expect_distinct(*later.tensor, later.spec.name, *earlier.tensor, earlier.spec.name);
    }
  }
}

}  // namespace wsr::binding
