// Argument validation for exports. Every helper throws an error naming the argument and the
// bad value; the export wrapper (registry.cc) prefixes the export's name.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>

#include "tensor.h"

namespace wsr::binding {

struct ArgumentTypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ArgumentRangeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Largest tensor dimension and element count accepted (a guard against overflow, not a policy).
constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;
constexpr int64_t kMaxElements = int64_t{1} << 40;

void expect_arg_count(const Napi::CallbackInfo& info, size_t count);

// A live (not disposed) tensor.
Tensor& tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
// null or undefined give nullptr.
Tensor* optional_tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
// A finite integer in [min, max].
int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max);
// A finite number.
double number_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
// An array of integers in [0, kMaxDim] whose product is at most kMaxElements. Reading an array's
// elements can run JavaScript (a getter), which may dispose tensors: read arrays before taking
// tensors with tensor_arg (which runs none), or check the tensors again after.
Shape shape_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
DType dtype_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
// A short description of a JavaScript value for messages: 'cpu', NaN, an array, a symbol, ...
std::string describe(const Napi::Value& v);
// The message of a JavaScript exception caught in C++, which may be any value: an Error's message,
// else "threw <value>" (a getter on an argument can throw a string).
std::string exception_message(const Napi::Error& e);

// Tensor checks.
void expect_dtype(const Tensor& t, DType dtype, const char* name);
// A tensor of the given rank; `dims` names the axes for the message, e.g. "N,C,H,W".
void expect_rank(const Tensor& t, size_t rank, const char* name, const char* dims);
void expect_shape(const Tensor& t, const Shape& expected, const char* name);
// Output tensors must not share memory with inputs they are computed from.
void expect_distinct(const Tensor& a, const char* a_name, const Tensor& b, const char* b_name);

}  // namespace wsr::binding
